package io.iotuplink.support;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reads a batch publish ({@code iot-uplink-batch/2}, plain or gzip) back into its readings, as a consumer in the
 * cloud would; numbers are kept exactly (big decimals and integers).
 */
public final class BatchPayloads {

    /** Exact numbers: a reading's data compares equal only when its every digit came through. */
    public static final ObjectMapper EXACT = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

    /** One reading of a batch: its id, its accepted time (epoch ms) and its data. */
    public record Unpacked(String messageId, long acceptedAtMillis, JsonNode data) {
    }

    private BatchPayloads() {
    }

    /** The readings of one batch payload, in their order. */
    public static List<Unpacked> unpack(byte[] payload) {
        JsonNode batch = json(payload);
        if (!"iot-uplink-batch/2".equals(batch.path("format").asText())) {
            throw new IllegalArgumentException("not an iot-uplink-batch/2 payload: " + batch.path("format"));
        }
        String prefix = batch.get("message_id_prefix").asText();
        JsonNode seqs = batch.get("message_id_seq");
        JsonNode times = batch.get("accepted_ms");
        JsonNode data = batch.get("data");
        JsonNode explicit = batch.path("message_ids");
        if (seqs.size() != data.size() || times.size() != data.size()) {
            throw new IllegalArgumentException("arrays of different lengths: " + seqs.size() + ", " + times.size()
                    + ", " + data.size());
        }
        List<Unpacked> readings = new ArrayList<>(data.size());
        long seq = 0;
        long ms = 0;
        for (int i = 0; i < data.size(); i++) {
            seq += seqs.get(i).longValue();
            ms += times.get(i).longValue();
            JsonNode id = explicit.get(Integer.toString(i));
            readings.add(new Unpacked(id != null ? id.asText() : prefix + String.format("%012x", seq), ms,
                    data.get(i)));
        }
        return readings;
    }

    /** The JSON of a payload, gunzipped first when it is gzip. */
    public static JsonNode json(byte[] payload) {
        try {
            byte[] text = payload.length > 1 && (payload[0] & 0xff) == 0x1f && (payload[1] & 0xff) == 0x8b
                    ? new GZIPInputStream(new ByteArrayInputStream(payload)).readAllBytes() : payload;
            return EXACT.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
