package io.iotuplink.envelope;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.envelope.InvalidReadingException.Problem;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;

/**
 * Writes the seed's envelopes, in the seed's key order:
 * {@code {"timestamp", "device_id", "data"}} and {@code {"timestamp", "device_id", "event", "metadata"}}.
 */
public final class EnvelopeWriter {

    /** AWS IoT Core's largest message payload: 128 KB. */
    public static final int MAX_ENVELOPE_BYTES = 128 * 1024;

    private final ObjectMapper mapper;
    private final String deviceId;

    public EnvelopeWriter(ObjectMapper mapper, String deviceId) {
        this.mapper = mapper;
        this.deviceId = deviceId;
    }

    /** The envelope as UTF-8 JSON; refused (never truncated) when over {@link #MAX_ENVELOPE_BYTES}. */
    public byte[] write(Reading reading) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = mapper.getFactory().createGenerator(out)) {
            json.writeStartObject();
            json.writeFieldName("timestamp");
            json.writeNumber(epochSeconds(reading.acceptedAtMillis()));
            json.writeStringField("device_id", deviceId);
            if (reading.isEvent()) {
                json.writeStringField("event", reading.event());
                json.writeFieldName("metadata");
            } else {
                json.writeFieldName("data");
            }
            mapper.writeTree(json, reading.body());
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (out.size() > MAX_ENVELOPE_BYTES) {
            throw new InvalidReadingException(Problem.TOO_LARGE, "reading too large",
                    "its envelope is " + out.size() + " bytes; AWS IoT Core accepts at most " + MAX_ENVELOPE_BYTES);
        }
        return out.toByteArray();
    }

    /** Epoch seconds with a millisecond fraction, as Python's {@code time.time()} rounded to the millisecond. */
    public static BigDecimal epochSeconds(long millis) {
        return BigDecimal.valueOf(millis, 3);
    }
}
