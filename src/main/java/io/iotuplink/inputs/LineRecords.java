package io.iotuplink.inputs;

import io.iotuplink.envelope.InvalidReadingException;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.ReadingIntake;
import org.apache.camel.Header;
import io.iotuplink.logging.RepeatedProblem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.LongSupplier;

/**
 * Turns one line of text (a serial line, a socket line) into a reading. A line that is not a JSON object is
 * logged and counted as refused, and yields null so the route drops it: garbage never stops an input.
 */
public final class LineRecords {

    private static final Logger LOG = LoggerFactory.getLogger(LineRecords.class);
    private static final int LOGGED_CHARS = 200;


    private final ReadingIntake intake;
    private final InputCounters counters;
    /** A device sending garbage at every line: the first in detail, then a summary a minute. */
    private final RepeatedProblem refused;

    public LineRecords(ReadingIntake intake, InputCounters counters) {
        this(intake, counters, System::nanoTime);
    }

    /** {@code nanos}: monotonic time, for the summary of refused lines. */
    public LineRecords(ReadingIntake intake, InputCounters counters, LongSupplier nanos) {
        this.intake = intake;
        this.counters = counters;
        this.refused = RepeatedProblem.warn(LOG, "Lines refused", nanos);
    }

    /** The reading of {@code line}, or null when the line is refused. */
    public PreparedReading accept(String line, @Header(ReadingRoutesHeaders.INPUT) String input) {
        String name = input == null ? "line" : input;
        try {
            PreparedReading reading = intake.record(line);
            counters.accepted(name, 1);
            return reading;
        } catch (InvalidReadingException e) {
            counters.refused(name, 1);
            refused.report(name + " " + e.problem(), "{}: refused line '{}': {}; counted in inputs.{}.refused", name,
                    line.length() > LOGGED_CHARS ? line.substring(0, LOGGED_CHARS) + "..." : line, e.getMessage(),
                    name);
            return null;
        }
    }
}
