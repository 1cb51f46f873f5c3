package io.iotuplink.outbox;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
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
import java.util.List;
import java.util.UUID;
import java.util.function.IntSupplier;

/**
 * Several telemetry readings in one publish, in the compact batch format {@code iot-uplink-batch/2}: the device and
 * the readings' id prefix once, then each reading's id count and accepted time as deltas, and each reading's
 * {@code data} exactly as it was accepted, so that almost all of a publish is reading data:
 * <pre>{"format":"iot-uplink-batch/2","timestamp":...,"device_id":"gw-01","message_id_prefix":"3f9c2a7b-1e04-8d5c-a6b1-",
 * "message_id_seq":[4609,1,1],"accepted_ms":[1764694009123,0,3],"data":[{...},{...},{...}]}</pre>
 * Reading {@code i}'s id is {@code message_id_prefix} and the running sum of {@code message_id_seq} in 12 hex digits
 * ({@link MessageIds}), unless {@code "message_ids": {"i": id}} names it (an id of another family: a reading
 * accepted by an earlier version); its accepted time in milliseconds is the running sum of {@code accepted_ms}.
 * A batch is never over AWS IoT Core's 128 KB nor, as a whole PUBLISH packet, over the broker's maximum packet size
 * (CONNACK), and is filled as close to the limit as the readings waiting allow.
 */
public final class BatchEnvelope {

    /** The {@code format} of the batches this class writes. */
    public static final String FORMAT = "iot-uplink-batch/2";

    /** What one batch publish carries: the readings it removes from the outbox on PUBACK, and its bytes. */
    public record Batch(String messageId, List<StoredReading> readings, byte[] envelope) {
    }

    private static final byte[] DATA_KEY = "\"data\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ENVELOPE_START = "{\"timestamp\":".getBytes(StandardCharsets.US_ASCII);

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
     * One reading as a batch entry: its data ({@code source} from {@code dataFrom} to {@code dataTo}: its stored
     * envelope, as a rule), its deltas, its id when the prefix does not make it, and what it adds to the batch.
     */
    private record Entry(byte[] source, int dataFrom, int dataTo, long countDelta, long msDelta, String explicitId) {

        /** Its bytes in the batch, with the separators it brings: never fewer than it takes. */
        int cost(int explicitIdBytes) {
            return decimalLength(countDelta) + 1 + decimalLength(msDelta) + 1 + (dataTo - dataFrom) + 1
                    + explicitIdBytes;
        }
    }

    /**
     * The longest prefix of {@code readings} (all to one topic) that fits in one envelope and one packet; at least
     * one reading (one alone over a limit is the publisher's to refuse).
     */
    public Batch write(List<StoredReading> readings) {
        String messageId = UUID.randomUUID().toString();
        long now = clock.millis();
        String prefix = prefixOf(readings);
        Entry[] entries = new Entry[readings.size()];
        long count = 0;
        long ms = 0;
        for (int i = 0; i < entries.length; i++) {
            StoredReading reading = readings.get(i);
            long own = MessageIds.countOf(prefix, reading.messageId());
            long countDelta = own < 0 ? 0 : own - count;
            count += countDelta;
            long msDelta = reading.acceptedAtMillis() - ms;
            ms = reading.acceptedAtMillis();
            byte[] source = reading.envelope();
            int[] data = dataOf(source);
            if (data == null) {
                source = dataParsed(source);
                data = new int[] {0, source.length};
            }
            entries[i] = new Entry(source, data[0], data[1], countDelta, msDelta,
                    own < 0 ? reading.messageId() : null);
        }
        int budget = EnvelopeWriter.MAX_ENVELOPE_BYTES;
        int maxPacket = maximumPacketSize.getAsInt();
        if (maxPacket != Integer.MAX_VALUE) {
            budget = Math.min(budget, maxPacket - packetOverhead(readings.get(0).topic(), messageId, entries.length));
        }
        // the envelope without readings, with room for the explicit ids' object: each entry then adds its cost
        long size = envelope(now, prefix, entries, 0, true).length;
        int taken = 0;
        while (taken < entries.length) {
            Entry entry = entries[taken];
            long more = entry.cost(entry.explicitId() == null ? 0 : explicitIdBytes(taken, entry.explicitId()));
            if (taken > 0 && size + more > budget) {
                break;
            }
            size += more;
            taken++;
        }
        byte[] envelope = envelope(now, prefix, entries, taken, false);
        return new Batch(messageId, List.copyOf(readings.subList(0, taken)), envelope);
    }

    /** The prefix of the first reading whose id has the shape of {@link MessageIds}' ids (null: none has). */
    private static String prefixOf(List<StoredReading> readings) {
        for (StoredReading reading : readings) {
            String prefix = MessageIds.prefixOf(reading.messageId());
            if (prefix != null) {
                return prefix;
            }
        }
        return null;
    }

    /**
     * The PUBLISH packet's bytes beyond its payload, with the larger of a batch's two property sets (gzip's
     * {@code content_encoding} takes more than the payload format indicator; its payload is smaller still).
     */
    private static int packetOverhead(String topic, String messageId, int readings) {
        try {
            // the payload's length counts in the packet's remaining length: sized at the largest it may be
            return PublishPacket.size(topic, new byte[EnvelopeWriter.MAX_ENVELOPE_BYTES],
                    MqttPublishProperties.forBatch(messageId, readings, true)) - EnvelopeWriter.MAX_ENVELOPE_BYTES;
        } catch (MqttException e) {
            throw new IllegalStateException("cannot size the batch publish to '" + topic + "': " + e.getMessage(), e);
        }
    }

    /** The bytes {@code "i":"id",} takes in the explicit ids' object. */
    private static int explicitIdBytes(int index, String id) {
        return decimalLength(index) + 3 + JsonStringEncoder.getInstance().quoteAsUTF8(id).length + 2 + 1;
    }

    private static int decimalLength(long value) {
        return Long.toString(value).length();
    }

    /** The batch of the first {@code taken} entries; {@code withIds}: with the explicit ids' object, even empty. */
    private byte[] envelope(long now, String prefix, Entry[] entries, int taken, boolean withIds) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + taken * 64);
        try (JsonGenerator json = mapper.getFactory().createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("format", FORMAT);
            json.writeFieldName("timestamp");
            json.writeNumber(EnvelopeWriter.epochSeconds(now));
            json.writeStringField("device_id", deviceId);
            json.writeStringField("message_id_prefix", prefix == null ? "" : prefix);
            json.writeArrayFieldStart("message_id_seq");
            for (int i = 0; i < taken; i++) {
                json.writeNumber(entries[i].countDelta());
            }
            json.writeEndArray();
            json.writeArrayFieldStart("accepted_ms");
            for (int i = 0; i < taken; i++) {
                json.writeNumber(entries[i].msDelta());
            }
            json.writeEndArray();
            boolean explicit = false;
            for (int i = 0; i < taken && !explicit; i++) {
                explicit = entries[i].explicitId() != null;
            }
            if (explicit || withIds) {
                json.writeObjectFieldStart("message_ids");
                for (int i = 0; i < taken; i++) {
                    if (entries[i].explicitId() != null) {
                        json.writeStringField(Integer.toString(i), entries[i].explicitId());
                    }
                }
                json.writeEndObject();
            }
            json.writeArrayFieldStart("data");
            for (int i = 0; i < taken; i++) {
                writeData(json, entries[i]);
            }
            json.writeEndArray();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Where the {@code data} of a stored telemetry envelope lies, as it was serialised when the reading was
     * accepted: {@link EnvelopeWriter} writes it last, so it runs from its key to the envelope's closing brace (a
     * {@code "data":} inside the device id would be escaped); null for an envelope of another shape.
     */
    private static int[] dataOf(byte[] envelope) {
        int end = envelope.length - 1;
        if (end > 0 && envelope[end] == '}' && startsWith(envelope, ENVELOPE_START, 0)) {
            for (int at = ENVELOPE_START.length; at + DATA_KEY.length <= end; at++) {
                if (startsWith(envelope, DATA_KEY, at)) {
                    return new int[] {at + DATA_KEY.length, end};
                }
            }
        }
        return null;
    }

    /** The data of an envelope of another shape, parsed and written again. */
    private byte[] dataParsed(byte[] envelope) {
        try {
            return mapper.writeValueAsBytes(mapper.readTree(envelope).get("data"));
        } catch (IOException e) {
            throw new UncheckedIOException("a stored telemetry reading is not JSON any more", e);
        }
    }

    private static boolean startsWith(byte[] bytes, byte[] start, int at) {
        for (int i = 0; i < start.length; i++) {
            if (bytes[at + i] != start[i]) {
                return false;
            }
        }
        return true;
    }

    /** Copies the reading's data as stored: unicode and long numbers untouched. */
    private static void writeData(JsonGenerator json, Entry entry) throws IOException {
        json.writeRawValue(new String(entry.source(), entry.dataFrom(), entry.dataTo() - entry.dataFrom(),
                StandardCharsets.UTF_8));
    }
}
