package io.iotuplink.outbox;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.envelope.EnvelopeWriter;
import io.iotuplink.mqtt.MqttPublishProperties;
import io.iotuplink.mqtt.PublishPacket;
import org.eclipse.paho.mqttv5.common.MqttException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.IntSupplier;

/**
 * Several telemetry readings in one publish: {@code {"timestamp", "device_id", "batch": [{"timestamp",
 * "message_id", "data"}, ...]}}, never over AWS IoT Core's 128 KB nor, as a whole PUBLISH packet, over the broker's
 * maximum packet size (CONNACK), each reading once with its own accepted time.
 */
public final class BatchEnvelope {

    /** What one batch publish carries: the readings it removes from the outbox on PUBACK, and its bytes. */
    public record Batch(String messageId, List<StoredReading> readings, byte[] envelope) {
    }

    private static final String DATA_KEY = "\"data\":";

    private final ObjectMapper mapper;
    private final String deviceId;
    private final Clock clock;
    private final IntSupplier maximumPacketSize;

    /** Batches limited by the 128 KB envelope only. */
    public BatchEnvelope(ObjectMapper mapper, String deviceId, Clock clock) {
        this(mapper, deviceId, clock, () -> Integer.MAX_VALUE);
    }

    /**
     * @param maximumPacketSize the largest PUBLISH packet the broker takes, in bytes (its CONNACK's Maximum Packet
     *                          Size; {@link Integer#MAX_VALUE} for none), asked at each batch
     */
    public BatchEnvelope(ObjectMapper mapper, String deviceId, Clock clock, IntSupplier maximumPacketSize) {
        this.mapper = mapper;
        this.deviceId = deviceId;
        this.clock = clock;
        this.maximumPacketSize = maximumPacketSize;
    }

    /**
     * A prefix of {@code readings} (all to one topic) that fits in one envelope and one packet, the longest give or
     * take an eighth; at least one reading (one alone over a limit is the publisher's to refuse).
     */
    public Batch write(List<StoredReading> readings) {
        String messageId = UUID.randomUUID().toString();
        int maxPacket = maximumPacketSize.getAsInt();
        List<StoredReading> taken = new ArrayList<>(readings);
        while (true) {
            byte[] envelope = envelope(taken);
            int budget = EnvelopeWriter.MAX_ENVELOPE_BYTES;
            if (maxPacket != Integer.MAX_VALUE) {
                int overhead = packetSize(taken.get(0).topic(), messageId, taken.size(), envelope) - envelope.length;
                budget = Math.min(budget, maxPacket - overhead);
            }
            if (envelope.length <= budget || taken.size() == 1) {
                return new Batch(messageId, List.copyOf(taken), envelope);
            }
            // drop an eighth at a time (at least one), or at once what is clearly too much, until it fits
            int keep = Math.min(taken.size() - Math.max(1, taken.size() / 8),
                    (int) ((long) taken.size() * Math.max(0, budget) / envelope.length));
            taken = new ArrayList<>(taken.subList(0, Math.max(1, keep)));
        }
    }

    /**
     * The PUBLISH packet's size for this envelope, with the larger of a batch's two property sets (gzip's
     * {@code content_encoding} takes more than the payload format indicator; its payload is smaller still).
     */
    private static int packetSize(String topic, String messageId, int readings, byte[] envelope) {
        try {
            return PublishPacket.size(topic, envelope, MqttPublishProperties.forBatch(messageId, readings, true));
        } catch (MqttException e) {
            throw new IllegalStateException("cannot size the batch publish to '" + topic + "': " + e.getMessage(), e);
        }
    }

    private byte[] envelope(List<StoredReading> readings) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(readings.size() * 128);
        try (JsonGenerator json = mapper.getFactory().createGenerator(out)) {
            json.writeStartObject();
            json.writeFieldName("timestamp");
            json.writeNumber(EnvelopeWriter.epochSeconds(clock.millis()));
            json.writeStringField("device_id", deviceId);
            json.writeArrayFieldStart("batch");
            for (StoredReading reading : readings) {
                json.writeStartObject();
                json.writeFieldName("timestamp");
                json.writeNumber(EnvelopeWriter.epochSeconds(reading.acceptedAtMillis()));
                json.writeStringField("message_id", reading.messageId());
                json.writeFieldName("data");
                writeData(json, reading.envelope());
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Copies the {@code data} of a stored telemetry envelope as it was serialised when the reading was accepted:
     * {@link EnvelopeWriter} writes it last, so it runs from its key to the envelope's closing brace (a {@code
     * "data":} inside the device id would be escaped). Anything else is parsed, to be safe.
     */
    private void writeData(JsonGenerator json, byte[] envelope) throws IOException {
        String text = new String(envelope, StandardCharsets.UTF_8);
        int key = text.indexOf(DATA_KEY);
        int end = text.lastIndexOf('}');
        if (key > 0 && end == text.length() - 1 && text.startsWith("{\"timestamp\":")) {
            int start = key + DATA_KEY.length();
            json.writeRawValue(text, start, end - start);
        } else {
            mapper.writeTree(json, mapper.readTree(envelope).get("data"));
        }
    }
}
