package io.iotuplink.clock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * Sees the wall clock stepped against monotonic time (NTP setting a clock that booted at 1970, an operator, a bad
 * RTC): a move of the offset between the two beyond {@link #TOLERANCE_MILLIS} since the last look is a step, logged
 * once with its size and direction, counted, and handed to the re-base (the readings accepted in this run before it
 * move with the clock). Smaller moves (NTP slewing, a late look) are taken in without a word.
 *
 * <p>It looks every second on its own, and also whenever its {@link #clock()} is read: the bundle stamps readings
 * and judges expiry with that clock, so a reading stamped after a step is never re-based by it again, and no step
 * expires a reading before the re-base moved its expiry. Safe from any thread.
 */
public final class ClockSteps {

    private static final Logger LOG = LoggerFactory.getLogger(ClockSteps.class);
    /** How far the wall clock may move against monotonic time between two looks before it is a step. */
    public static final long TOLERANCE_MILLIS = 2_000;

    private final Clock wall;
    private final LongSupplier nanos;
    private final LongConsumer rebase;
    private final List<LongConsumer> rebased = new CopyOnWriteArrayList<>();
    private final AtomicLong steps = new AtomicLong();
    private final AtomicLong rebases = new AtomicLong();
    private volatile long lastStepMillis;
    // guarded by this
    private long offsetMillis;

    /**
     * @param wall   the wall clock watched (dates)
     * @param nanos  monotonic time
     * @param rebase moves what this run stored by a step, in milliseconds (the outbox's readings); it runs on the
     *               thread that saw the step, before that thread reads the clock
     */
    public ClockSteps(Clock wall, LongSupplier nanos, LongConsumer rebase) {
        this.wall = wall;
        this.nanos = nanos;
        this.rebase = rebase;
        this.offsetMillis = offsetNow();
    }

    /**
     * Runs {@code listener} with the step's size in milliseconds after each re-base committed: what was read from the
     * outbox before it (read ahead, not yet published) carries the old times and should be read again.
     */
    public void onRebase(LongConsumer listener) {
        rebased.add(listener);
    }

    /** Looks whether the wall clock was stepped since the last look; re-bases by the step when it was. */
    public void check() {
        look();
    }

    /** {@link #check}, returning the wall clock's time it looked at (the time after the step, if there was one). */
    private synchronized long look() {
        long now = wall.millis();
        long offset = now - TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong());
        long step = offset - offsetMillis;
        offsetMillis = offset;
        if (Math.abs(step) <= TOLERANCE_MILLIS) {
            return now;
        }
        steps.incrementAndGet();
        lastStepMillis = step;
        String size = describe(Math.abs(step));
        if (step > 0) {
            LOG.info("The wall clock was set forward by {} (to {}): the readings accepted before it in this run are"
                    + " re-based by it (their timestamps and expiries move with the clock)", size, Instant.ofEpochMilli(now));
        } else {
            LOG.warn("The wall clock was set back by {} (to {}): the readings accepted before it in this run are"
                    + " re-based by it (their timestamps and expiries move with the clock)", size, Instant.ofEpochMilli(now));
        }
        try {
            rebase.accept(step);
        } catch (RuntimeException e) {
            LOG.warn("The readings accepted before the clock step could not be re-based, and keep their times: {}",
                    e.getMessage());
            return now;
        }
        rebases.incrementAndGet();
        for (LongConsumer listener : rebased) {
            listener.accept(step);
        }
        return now;
    }

    /** Steps seen since the start. */
    public long steps() {
        return steps.get();
    }

    /** Re-bases committed since the start: a reader of the outbox compares it to drop what it read ahead. */
    public long rebases() {
        return rebases.get();
    }

    /** The last step in seconds, forward positive, back negative; 0 before the first. */
    public double lastStepSeconds() {
        return lastStepMillis / 1000.0;
    }

    /** The wall clock, looked at for a step every time it is read (to stamp readings, to judge expiry). */
    public Clock clock() {
        return new Checked();
    }

    private long offsetNow() {
        return wall.millis() - TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong());
    }

    private static String describe(long millis) {
        Duration d = Duration.ofMillis(millis);
        if (d.toDays() > 0) {
            return d.toDays() + " d " + d.toHoursPart() + " h " + d.toMinutesPart() + " min";
        }
        if (d.toHours() > 0) {
            return d.toHours() + " h " + d.toMinutesPart() + " min " + d.toSecondsPart() + " s";
        }
        return String.format(java.util.Locale.ROOT, "%.3f s", millis / 1000.0);
    }

    /** The wall clock, after a look for a step. */
    private final class Checked extends Clock {
        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("the bundle's dates are UTC");
        }

        @Override
        public long millis() {
            // the very time the look judged: a step right after it is seen by the next look, and re-bases this
            return look();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }
    }
}
