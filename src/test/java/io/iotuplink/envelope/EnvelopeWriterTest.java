package io.iotuplink.envelope;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EnvelopeWriterTest {

    private final ObjectMapper mapper = new ObjectMapper();
    private final ReadingFactory readings = new ReadingFactory(mapper,
            Clock.fixed(Instant.ofEpochMilli(1732270000123L), ZoneOffset.UTC));
    private final EnvelopeWriter writer = new EnvelopeWriter(mapper, "bombercat-001");

    private String envelope(Reading reading) {
        return new String(writer.write(reading), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void telemetryIsTheSeedEnvelopeByteForByte() {
        Reading reading = readings.fromJson("{\"temperature\": 25.5}").get(0);

        assertEquals("{\"timestamp\":1732270000.123,\"device_id\":\"bombercat-001\",\"data\":{\"temperature\":25.5}}",
                envelope(reading));
    }

    @Test
    void aRecordWithAStringEventMemberIsAnEvent() {
        Reading reading = readings.fromJson("{\"event\": \"temperature_alert\", \"metadata\": {\"severity\": \"warning\"}}")
                .get(0);

        assertEquals("{\"timestamp\":1732270000.123,\"device_id\":\"bombercat-001\",\"event\":\"temperature_alert\","
                + "\"metadata\":{\"severity\":\"warning\"}}", envelope(reading));
    }

    @Test
    void anEventWithoutMetadataHasAnEmptyObject() {
        assertTrue(envelope(readings.fromJson("{\"event\": \"boot\"}").get(0)).endsWith("\"metadata\":{}}"));
    }

    @Test
    void aNonStringEventMemberIsJustTelemetryData() {
        Reading reading = readings.fromJson("{\"event\": 3, \"x\": 1}").get(0);

        assertEquals(Reading.Kind.TELEMETRY, reading.kind());
    }

    @Test
    void timestampsKeepTheirMillisecondsEvenWhenZero() {
        ReadingFactory onTheSecond = new ReadingFactory(mapper,
                Clock.fixed(Instant.ofEpochMilli(1732270000000L), ZoneOffset.UTC));

        assertTrue(envelope(onTheSecond.telemetry(mapper.createObjectNode()))
                .startsWith("{\"timestamp\":1732270000.000,"));
    }

    @Test
    void anEnvelopeOver128KbIsRefusedNotTruncated() {
        ObjectNode data = mapper.createObjectNode().put("blob", "x".repeat(EnvelopeWriter.MAX_ENVELOPE_BYTES));

        InvalidReadingException error = assertThrows(InvalidReadingException.class,
                () -> writer.write(readings.telemetry(data)));

        assertEquals(InvalidReadingException.Problem.TOO_LARGE, error.problem());
        assertTrue(error.detail().contains("AWS IoT Core accepts at most 131072"), error.detail());
    }

    @Test
    void eventNamesFollowTheDesignRule() {
        for (String good : List.of("a", "temperature_alert", "door.open-1", "x".repeat(64))) {
            readings.event(good, mapper.createObjectNode());
        }
        for (String bad : List.of("", "x".repeat(65), "has space", "slash/name", "ümlaut")) {
            assertThrows(InvalidReadingException.class, () -> readings.event(bad, mapper.createObjectNode()), bad);
        }
    }

    @Test
    void malformedJsonNamesLineAndColumn() {
        InvalidReadingException error = assertThrows(InvalidReadingException.class,
                () -> readings.fromJson("{\n  \"t\": tru\n}"));

        assertTrue(error.detail().contains("line 2"), error.detail());
    }
}
