package io.iotuplink.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iotuplink.envelope.EnvelopeWriter;
import io.iotuplink.envelope.Reading;
import io.iotuplink.mqtt.MqttPublishProperties;
import io.iotuplink.mqtt.PublishPacket;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A batch carries each reading's data exactly as it was accepted, whatever the device id or data hold. */
class BatchEnvelopeTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void eachEntryCarriesItsReadingsDataTimestampAndMessageId() throws Exception {
        String awkwardDevice = "gw \"data\": {\"x\": 1}";
        EnvelopeWriter writer = new EnvelopeWriter(MAPPER, awkwardDevice);
        List<StoredReading> stored = new ArrayList<>();
        List<ObjectNode> data = List.of(
                (ObjectNode) MAPPER.readTree("{\"temperature\": 21.3, \"note\": \"\\\"data\\\": } ü\"}"),
                (ObjectNode) MAPPER.readTree(
                        "{\"nested\": {\"data\": [1, 2, {\"data\": null}]}, \"big\": 12345678901234567890}"),
                (ObjectNode) MAPPER.readTree("{}"));
        for (int i = 0; i < data.size(); i++) {
            Reading reading = new Reading(Reading.Kind.TELEMETRY, "id-" + i, 1_700_000_000_123L + i, null,
                    data.get(i));
            stored.add(new StoredReading(i + 1, reading.messageId(), "telemetry", "t", reading.acceptedAtMillis(),
                    writer.write(reading)));
        }

        BatchEnvelope.Batch batch = new BatchEnvelope(MAPPER, awkwardDevice,
                Clock.fixed(Instant.ofEpochMilli(1_700_000_001_000L), ZoneOffset.UTC)).write(stored);

        JsonNode envelope = MAPPER.readTree(batch.envelope());
        assertEquals(awkwardDevice, envelope.get("device_id").asText());
        assertEquals(3, envelope.get("batch").size());
        for (int i = 0; i < data.size(); i++) {
            JsonNode entry = envelope.get("batch").get(i);
            assertEquals(List.of("timestamp", "message_id", "data"), fieldNames(entry));
            assertEquals("id-" + i, entry.get("message_id").asText());
            assertEquals(MAPPER.readTree(stored.get(i).envelope()).get("timestamp"), entry.get("timestamp"));
            assertEquals(MAPPER.readTree(stored.get(i).envelope()).get("data"), entry.get("data"));
        }
        assertTrue(new String(batch.envelope(), java.nio.charset.StandardCharsets.UTF_8).contains("ü"),
                "the data's bytes are copied as they were, not re-escaped");
    }

    @Test
    void aBatchIsCutSoItsWholePacketStaysWithinTheBrokersMaximumPacketSize() throws Exception {
        EnvelopeWriter writer = new EnvelopeWriter(MAPPER, "bombercat-001");
        List<StoredReading> stored = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Reading reading = new Reading(Reading.Kind.TELEMETRY, "id-" + i, 1_700_000_000_000L + i, null,
                    (ObjectNode) MAPPER.readTree("{\"seq\": " + i + ", \"pad\": \"" + "p".repeat(100) + "\"}"));
            stored.add(new StoredReading(i + 1, reading.messageId(), "telemetry", "bombercat/telemetry",
                    reading.acceptedAtMillis(), writer.write(reading)));
        }
        Clock clock = Clock.fixed(Instant.ofEpochMilli(1_700_000_001_000L), ZoneOffset.UTC);

        BatchEnvelope.Batch unlimited = new BatchEnvelope(MAPPER, "bombercat-001", clock).write(stored);
        BatchEnvelope.Batch cut = new BatchEnvelope(MAPPER, "bombercat-001", clock, () -> 2048).write(stored);

        assertEquals(100, unlimited.readings().size(), "14 KB fit in one 128 KB envelope");
        int packet = PublishPacket.size("bombercat/telemetry", cut.envelope(),
                MqttPublishProperties.forBatch(cut.messageId(), cut.readings().size(), false));
        assertTrue(packet <= 2048, packet + " bytes");
        assertTrue(cut.readings().size() >= 10, "a 2 KB packet holds more than 10 readings of ~150 bytes: "
                + cut.readings().size());
        assertEquals(stored.subList(0, cut.readings().size()), cut.readings(), "the oldest first");
        assertEquals(cut.readings().size(), MAPPER.readTree(cut.envelope()).get("batch").size());
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
