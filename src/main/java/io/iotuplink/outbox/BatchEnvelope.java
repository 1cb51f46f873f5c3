package io.iotuplink.outbox;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.envelope.EnvelopeWriter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Several telemetry readings in one publish: {@code {"timestamp", "device_id", "batch": [{"timestamp",
 * "message_id", "data"}, ...]}}, never over AWS IoT Core's 128 KB, each reading once with its own accepted time.
 */
public final class BatchEnvelope {

    /** What one batch publish carries: the readings it removes from the outbox on PUBACK, and its bytes. */
    public record Batch(String messageId, List<StoredReading> readings, byte[] envelope) {
    }

    private static final String DATA_KEY = "\"data\":";

    private final ObjectMapper mapper;
    private final String deviceId;
    private final Clock clock;

    public BatchEnvelope(ObjectMapper mapper, String deviceId, Clock clock) {
        this.mapper = mapper;
        this.deviceId = deviceId;
        this.clock = clock;
    }

    /** The longest prefix of {@code readings} that fits in one envelope (at least one reading). */
    public Batch write(List<StoredReading> readings) {
        List<StoredReading> taken = new ArrayList<>(readings);
        while (true) {
            byte[] envelope = envelope(taken);
            if (envelope.length <= EnvelopeWriter.MAX_ENVELOPE_BYTES || taken.size() == 1) {
                return new Batch(UUID.randomUUID().toString(), List.copyOf(taken), envelope);
            }
            // drop an eighth at a time (at least one) until it fits
            int keep = Math.max(1, taken.size() - Math.max(1, taken.size() / 8));
            taken = new ArrayList<>(taken.subList(0, keep));
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
