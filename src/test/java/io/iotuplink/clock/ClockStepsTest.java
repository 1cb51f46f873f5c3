package io.iotuplink.clock;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.iotuplink.support.SimulatedClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Steps of a simulated wall clock against a separate simulated monotonic time. */
class ClockStepsTest {

    private final SimulatedClock wall = new SimulatedClock(Instant.parse("2000-01-01T00:00:00Z"));
    private final AtomicLong nanos = new AtomicLong(123_456_789L);
    private final List<Long> rebased = new ArrayList<>();
    private final ClockSteps steps = new ClockSteps(wall, nanos::get, rebased::add);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeEach
    void capture() {
        logged.start();
        ((Logger) LoggerFactory.getLogger(ClockSteps.class)).addAppender(logged);
    }

    @AfterEach
    void release() {
        ((Logger) LoggerFactory.getLogger(ClockSteps.class)).detachAppender(logged);
    }

    private void pass(Duration both) {
        wall.advance(both);
        nanos.addAndGet(both.toNanos());
    }

    @Test
    void ntpSettingABootClockForwardIsOneStepOneInfoLineAndOneRebase() {
        pass(Duration.ofSeconds(30));
        steps.check();
        Duration forward = Duration.ofDays(9_473).plusHours(3).plusMinutes(7);
        wall.advance(forward);
        steps.check();
        steps.check();

        assertEquals(List.of(forward.toMillis()), rebased);
        assertEquals(1, steps.steps());
        assertEquals(1, steps.rebases());
        assertEquals(forward.toMillis() / 1000.0, steps.lastStepSeconds());
        assertEquals(1, logged.list.size());
        assertEquals(Level.INFO, logged.list.get(0).getLevel());
        assertTrue(logged.list.get(0).getFormattedMessage().startsWith(
                "The wall clock was set forward by 9473 d 3 h 7 min (to 2025-12-08T03:07:30Z)"),
                logged.list.get(0).getFormattedMessage());
    }

    @Test
    void aStepBackIsAWarningAndANegativeRebase() {
        wall.advance(Duration.ofDays(-1));
        steps.check();

        assertEquals(List.of(-Duration.ofDays(1).toMillis()), rebased);
        assertEquals(-86_400.0, steps.lastStepSeconds());
        assertEquals(Level.WARN, logged.list.get(0).getLevel());
        assertTrue(logged.list.get(0).getFormattedMessage().startsWith("The wall clock was set back by 1 d 0 h 0 min"));
    }

    @Test
    void slewingWithinTheToleranceBetweenLooksIsTakenInNeverAddingUpToAStep() {
        for (int second = 0; second < 10_000; second++) {
            // NTP's fastest slew, 500 ppm: 5 s over the run, never 2 s between two looks
            wall.advance(Duration.ofNanos(1_000_500_000L));
            nanos.addAndGet(1_000_000_000L);
            steps.check();
        }
        wall.advance(Duration.ofMillis(ClockSteps.TOLERANCE_MILLIS));
        steps.check();

        assertEquals(0, steps.steps());
        assertEquals(List.of(), rebased);
        assertEquals(0.0, steps.lastStepSeconds());
    }

    @Test
    void readingTheClockLooksForAStepFirstSoAStampAfterTheStepIsNeverRebased() {
        Clock clock = steps.clock();
        List<String> order = new ArrayList<>();
        ClockSteps watching = new ClockSteps(wall, nanos::get, step -> order.add("rebase " + step));

        Clock checked = watching.clock();
        wall.advance(Duration.ofHours(2));
        order.add("stamp " + checked.millis());

        assertEquals(List.of("rebase 7200000", "stamp " + wall.millis()), order);
        assertEquals(wall.instant(), clock.instant());
    }

    @Test
    void aRebaseThatFailsIsSaidAndNotCountedNorAnnounced() {
        AtomicLong announced = new AtomicLong();
        ClockSteps failing = new ClockSteps(wall, nanos::get, step -> {
            throw new IllegalStateException("cannot re-base the outbox's readings after a clock step: disk I/O error");
        });
        failing.onRebase(announced::addAndGet);
        wall.advance(Duration.ofMinutes(-10));
        failing.check();

        assertEquals(1, failing.steps());
        assertEquals(0, failing.rebases());
        assertEquals(0, announced.get());
        assertTrue(logged.list.get(1).getFormattedMessage().contains("keep their times: cannot re-base"),
                logged.list.get(1).getFormattedMessage());
    }

    @Test
    void listenersHearOfEachRebaseWithItsStep() {
        List<Long> heard = new ArrayList<>();
        steps.onRebase(heard::add);
        wall.advance(Duration.ofSeconds(3));
        steps.check();
        wall.advance(Duration.ofSeconds(-5));
        steps.check();

        assertEquals(List.of(3_000L, -5_000L), heard);
        assertEquals(2, steps.rebases());
    }
}
