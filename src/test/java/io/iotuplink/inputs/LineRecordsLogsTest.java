package io.iotuplink.inputs;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.envelope.EnvelopeWriter;
import io.iotuplink.envelope.ReadingFactory;
import io.iotuplink.envelope.ReadingIntake;
import io.iotuplink.support.LogBytes;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A serial device sending garbage at 100 lines a second costs a few lines of log an hour. */
class LineRecordsLogsTest {

    @Test
    void tenMinutesOfGarbageLinesLogAFewLines() {
        ObjectMapper mapper = new ObjectMapper();
        InputCounters counters = new InputCounters();
        AtomicLong nanos = new AtomicLong();
        LineRecords lines = new LineRecords(new ReadingIntake(mapper, new ReadingFactory(mapper, Clock.systemUTC()),
                new EnvelopeWriter(mapper, "bombercat-001"), "bombercat/telemetry", "bombercat/events"), counters,
                nanos::get);
        try (LogBytes log = LogBytes.attached()) {
            for (int i = 0; i < 60_000; i++) {
                nanos.addAndGet(10_000_000);
                assertNull(lines.accept("T=25.5;H=" + i + " " + "x".repeat(300), "serial"));
            }

            assertEquals(60_000, counters.refused("serial"));
            assertTrue(log.lines().get(0).contains("serial: refused line 'T=25.5;H=0 xxx"), log.lines().get(0));
            assertTrue(log.perHour(600) <= 100_000, log.perHour(600) + " bytes an hour: " + log.lines());
        }
    }
}
