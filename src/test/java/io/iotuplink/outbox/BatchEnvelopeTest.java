package io.iotuplink.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iotuplink.envelope.EnvelopeWriter;
import io.iotuplink.envelope.Reading;
import io.iotuplink.mqtt.MqttPublishProperties;
import io.iotuplink.mqtt.PublishPacket;
import io.iotuplink.support.BatchPayloads;
import io.iotuplink.support.BatchPayloads.Unpacked;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The compact batch: each reading's id, accepted time and data come back exactly from the publish, and reading data
 * is almost all of it.
 */
class BatchEnvelopeTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(1_764_694_012_345L), ZoneOffset.UTC);
    private static final String PREFIX = "3f9c2a7b-1e04-8d5c-a6b1-";
    /** The benchmark's reading. */
    private static final String SMALL = "{\"temperature\": 21.3, \"humidity\": 60.0, \"seq\": 123}";

    @Test
    void eachReadingsIdTimeAndDataComeBackExactly() throws Exception {
        String awkwardDevice = "gw \"data\": {\"x\": 1} ü";
        List<String> data = List.of(
                "{\"temperature\": 21.3, \"note\": \"\\\"data\\\": } température ✓ 温度 \uD83C\uDF21\"}",
                "{\"big\": 12345678901234567890123, \"tiny\": 1e-300, \"negative\": -9223372036854775809}",
                "{\"nested\": {\"data\": [1, 2, {\"data\": null}]}}",
                "{}",
                "{\"n\": -0.0}");
        String legacy = UUID.randomUUID().toString();
        List<String> ids = List.of(MessageIds.id(PREFIX, 4609), MessageIds.id(PREFIX, 4610), legacy,
                MessageIds.id(PREFIX, 4608), MessageIds.id(PREFIX, 0xffff_ffff_fffeL));
        long[] accepted = {1_764_694_009_120L, 1_764_694_009_120L, 1_764_694_009_000L, 1_764_694_010_001L,
                1_764_694_011_999L};
        List<StoredReading> stored = stored(awkwardDevice, data, ids, accepted);

        BatchEnvelope.Batch batch = new BatchEnvelope(MAPPER, awkwardDevice, CLOCK).write(stored);

        assertEquals(stored, batch.readings());
        JsonNode json = BatchPayloads.json(batch.envelope());
        assertEquals(List.of("format", "timestamp", "device_id", "message_id_prefix", "message_id_seq",
                "accepted_ms", "message_ids", "data"), fieldNames(json));
        assertEquals(awkwardDevice, json.get("device_id").asText());
        assertEquals("1764694012.345", json.get("timestamp").decimalValue().toPlainString());
        assertEquals(List.of("2"), fieldNames(json.get("message_ids")), "only the legacy id is spelled out");
        List<Unpacked> unpacked = BatchPayloads.unpack(batch.envelope());
        String text = new String(batch.envelope(), StandardCharsets.UTF_8);
        for (int i = 0; i < data.size(); i++) {
            assertEquals(ids.get(i), unpacked.get(i).messageId());
            assertEquals(accepted[i], unpacked.get(i).acceptedAtMillis());
            String asStored = new String(dataBytes(stored.get(i)), StandardCharsets.UTF_8);
            assertEquals(BatchPayloads.EXACT.readTree(asStored), unpacked.get(i).data());
            assertTrue(text.contains(asStored), "the data's bytes are copied as they were, not re-encoded: "
                    + asStored);
        }
        assertEquals(BatchPayloads.unpack(batch.envelope()), BatchPayloads.unpack(
                MqttPublishProperties.gzip(batch.envelope())), "gzip carries the same");
    }

    @Test
    void readingDataIsOverEightyPercentOfABatchOfSmallReadings() {
        List<String> ids = new ArrayList<>();
        List<String> data = new ArrayList<>();
        long[] accepted = new long[500];
        for (int i = 0; i < 500; i++) {
            ids.add(MessageIds.id(PREFIX, 70_001 + i));
            data.add(SMALL);
            accepted[i] = 1_764_694_009_000L + i / 100 * 7; // posted 100 to a request, as the benchmark does
        }
        List<StoredReading> stored = stored("bombercat-001", data, ids, accepted);

        BatchEnvelope.Batch batch = new BatchEnvelope(MAPPER, "bombercat-001", CLOCK).write(stored);

        assertEquals(500, batch.readings().size());
        long dataBytes = stored.stream().mapToLong(r -> dataBytes(r).length).sum();
        double share = (double) dataBytes / batch.envelope().length;
        assertTrue(share >= 0.8, String.format("%.3f of %d bytes are reading data", share, batch.envelope().length));
        assertFalse(new String(batch.envelope(), StandardCharsets.UTF_8).contains("message_ids"),
                "no id spelled out");
    }

    @Test
    void aBatchCutByThe128KbLimitIsFilledToItAndCarriesExactlyWhatItTook() {
        List<String> ids = new ArrayList<>();
        List<String> data = new ArrayList<>();
        long[] accepted = new long[5_000];
        for (int i = 0; i < 5_000; i++) {
            ids.add(MessageIds.id(PREFIX, 1 + i * 3L)); // not consecutive: other readings went elsewhere
            data.add("{\"seq\": " + i + ", \"text\": \"é" + "x".repeat(i % 50) + "\"}");
            accepted[i] = 1_764_694_009_000L + i * 13L;
        }
        List<StoredReading> stored = stored("bombercat-001", data, ids, accepted);

        BatchEnvelope.Batch batch = new BatchEnvelope(MAPPER, "bombercat-001", CLOCK).write(stored);

        int taken = batch.readings().size();
        assertTrue(taken < 5_000, "5,000 readings of ~50 bytes do not fit in 128 KB");
        assertTrue(batch.envelope().length <= EnvelopeWriter.MAX_ENVELOPE_BYTES, batch.envelope().length + " bytes");
        assertTrue(batch.envelope().length > EnvelopeWriter.MAX_ENVELOPE_BYTES - 100,
                "filled to within a reading of the limit: " + batch.envelope().length + " bytes");
        assertEquals(stored.subList(0, taken), batch.readings(), "the oldest first");
        List<Unpacked> unpacked = BatchPayloads.unpack(batch.envelope());
        assertEquals(taken, unpacked.size());
        for (int i = 0; i < taken; i++) {
            assertEquals(ids.get(i), unpacked.get(i).messageId());
            assertEquals(accepted[i], unpacked.get(i).acceptedAtMillis());
            assertEquals(i, unpacked.get(i).data().get("seq").intValue());
        }
        BatchEnvelope.Batch rest = new BatchEnvelope(MAPPER, "bombercat-001", CLOCK)
                .write(stored.subList(taken, stored.size()));
        assertEquals(ids.get(taken), BatchPayloads.unpack(rest.envelope()).get(0).messageId(),
                "the next batch goes on where this one stopped");
    }

    @Test
    void aBatchIsCutSoItsWholePacketStaysWithinTheBrokersMaximumPacketSize() throws Exception {
        List<String> ids = new ArrayList<>();
        List<String> data = new ArrayList<>();
        long[] accepted = new long[100];
        for (int i = 0; i < 100; i++) {
            ids.add(MessageIds.id(PREFIX, 1 + i));
            data.add("{\"seq\": " + i + ", \"pad\": \"" + "p".repeat(100) + "\"}");
            accepted[i] = 1_700_000_000_000L + i;
        }
        List<StoredReading> stored = stored("bombercat-001", data, ids, accepted);

        BatchEnvelope.Batch unlimited = new BatchEnvelope(MAPPER, "bombercat-001", CLOCK).write(stored);
        BatchEnvelope.Batch cut = new BatchEnvelope(MAPPER, "bombercat-001", CLOCK, () -> 2048).write(stored);

        assertEquals(100, unlimited.readings().size(), "12 KB fit in one 128 KB envelope");
        int packet = PublishPacket.size("bombercat/telemetry", cut.envelope(),
                MqttPublishProperties.forBatch(cut.messageId(), cut.readings().size(), true));
        assertTrue(packet <= 2048, packet + " bytes");
        assertTrue(packet > 2048 - 130, "filled to within a reading of the limit: " + packet + " bytes");
        assertEquals(stored.subList(0, cut.readings().size()), cut.readings(), "the oldest first");
        assertEquals(cut.readings().size(), BatchPayloads.unpack(cut.envelope()).size());
    }

    @Test
    void readingsWhoseIdsAreNotUuidsAreSpelledOut() {
        List<StoredReading> stored = stored("gw", List.of("{\"a\": 1}", "{\"a\": 2}"), List.of("id-0", "id-1"),
                new long[] {1_000, 2_000});

        BatchEnvelope.Batch batch = new BatchEnvelope(MAPPER, "gw", CLOCK).write(stored);

        assertEquals(List.of("id-0", "id-1"),
                BatchPayloads.unpack(batch.envelope()).stream().map(Unpacked::messageId).toList());
    }

    /** Telemetry readings as the outbox stores them: their envelopes written by the bundle's writer. */
    private static List<StoredReading> stored(String device, List<String> data, List<String> ids, long[] accepted) {
        EnvelopeWriter writer = new EnvelopeWriter(MAPPER, device);
        List<StoredReading> stored = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            try {
                Reading reading = new Reading(Reading.Kind.TELEMETRY, ids.get(i), accepted[i], null,
                        (ObjectNode) io.iotuplink.envelope.ReadingFactory.strictMapper().readTree(data.get(i)));
                stored.add(new StoredReading(i + 1, reading.messageId(), "telemetry", "bombercat/telemetry",
                        reading.acceptedAtMillis(), writer.write(reading)));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return stored;
    }

    /** The bytes of a stored envelope's data, as they were written when the reading was accepted. */
    private static byte[] dataBytes(StoredReading reading) {
        String envelope = new String(reading.envelope(), StandardCharsets.UTF_8);
        String data = envelope.substring(envelope.indexOf("\"data\":") + 7, envelope.length() - 1);
        return data.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
