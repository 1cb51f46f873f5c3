package io.iotuplink.outbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.iotuplink.envelope.EnvelopeWriter;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.Reading;
import io.iotuplink.envelope.ReadingFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A step of the wall clock moves the readings of this run with it: times, expiries, envelope timestamps. */
class OutboxRebaseTest {

    private static final ObjectMapper MAPPER = ReadingFactory.strictMapper();
    private static final EnvelopeWriter ENVELOPES = new EnvelopeWriter(MAPPER, "bombercat-001");
    /** 2000-01-01T00:00:00.005Z: a gateway that booted with no clock. */
    private static final long BOOTED = 946_684_800_005L;
    private static final long YEAR = Duration.ofDays(365).toMillis();

    @TempDir
    Path dir;

    private static PreparedReading reading(String id, long acceptedAt) {
        Reading reading = new Reading(Reading.Kind.TELEMETRY, id, acceptedAt, null,
                JsonNodeFactory.instance.objectNode().put("temperature", 25.5).put("note", "a,b \"timestamp\":1.000"));
        return new PreparedReading(reading, ENVELOPES.write(reading), "bombercat/telemetry");
    }

    private static List<PreparedReading> readings(String prefix, long acceptedAt, int count) {
        List<PreparedReading> readings = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            readings.add(reading(prefix + i, acceptedAt + i * 10L));
        }
        return readings;
    }

    @Test
    void aStepMovesTheTimesExpiriesAndEnvelopeTimestampsOfThisRunsReadingsOnly() {
        try (OutboxStore outbox = OutboxStore.open(dir.resolve("outbox.db"), 10_000, 1 << 24, WhenFull.REJECT)) {
            outbox.append(readings("before-", BOOTED, 3), null, r -> 0);
            long runStart = outbox.rebase(Long.MAX_VALUE, 0) + 1;
            assertEquals(4, runStart, "three readings were stored before this run");
            outbox.append(readings("this-run-", BOOTED, 100), null, r -> r.reading().acceptedAtMillis() + 3_600_000);
            List<StoredReading> was = outbox.after(Lane.BULK, 0, 1_000);

            long delta = 27 * YEAR + 12_345;
            assertEquals(103, outbox.rebase(runStart, delta));

            List<StoredReading> now = outbox.after(Lane.BULK, 0, 1_000);
            assertEquals(103, now.size());
            for (int i = 0; i < now.size(); i++) {
                StoredReading before = was.get(i);
                StoredReading after = now.get(i);
                long moved = i < 3 ? 0 : delta;
                assertEquals(before.messageId(), after.messageId());
                assertEquals(before.acceptedAtMillis() + moved, after.acceptedAtMillis());
                assertEquals(before.expiresAtMillis() == 0 ? 0 : before.expiresAtMillis() + moved,
                        after.expiresAtMillis());
                assertArrayEquals(ENVELOPES.write(new Reading(Reading.Kind.TELEMETRY, after.messageId(),
                        after.acceptedAtMillis(), null, JsonNodeFactory.instance.objectNode().put("temperature", 25.5)
                                .put("note", "a,b \"timestamp\":1.000"))), after.envelope(),
                        "the envelope as if stamped at the re-based time, every other byte kept: " + i);
            }
        }
    }

    @Test
    void aStepBackRewritesTheTimestampWithItsThreeDecimalsAndLeavesOtherEnvelopesAlone() {
        try (OutboxStore outbox = OutboxStore.open(dir.resolve("outbox.db"), 10_000, 1 << 24, WhenFull.REJECT)) {
            long runStart = outbox.rebase(Long.MAX_VALUE, 0) + 1;
            byte[] foreign = "{\"device_id\":\"x\",\"timestamp\":5.000}".getBytes(StandardCharsets.UTF_8);
            Reading odd = new Reading(Reading.Kind.TELEMETRY, "odd", 5_000, null, JsonNodeFactory.instance.objectNode());
            outbox.append(List.of(reading("late", 1_767_225_600_000L), new PreparedReading(odd, foreign, "t")),
                    null, r -> 0);

            outbox.rebase(runStart, -Duration.ofDays(1).toMillis() + 7);

            List<StoredReading> now = outbox.after(Lane.BULK, 0, 10);
            String envelope = new String(now.get(0).envelope(), StandardCharsets.UTF_8);
            assertTrue(envelope.startsWith("{\"timestamp\":1767139200.007,\"device_id\":\"bombercat-001\","), envelope);
            assertArrayEquals(foreign, now.get(1).envelope(), "an envelope not written so keeps its bytes");
            assertEquals(5_000 - Duration.ofDays(1).toMillis() + 7, now.get(1).acceptedAtMillis());
        }
    }
}
