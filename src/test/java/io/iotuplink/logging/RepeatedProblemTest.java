package io.iotuplink.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A repeated problem on a simulated monotonic clock: the first with detail, then one counted line a minute. */
class RepeatedProblemTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final AtomicLong now = new AtomicLong(123 * SECOND);
    private final Logger logger = (Logger) LoggerFactory.getLogger("io.iotuplink.test.RepeatedProblemTest");
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final RepeatedProblem problem = new RepeatedProblem(logger, org.slf4j.event.Level.WARN,
            "Records refused", now::get);

    @BeforeEach
    void capture() {
        logged.start();
        logger.addAppender(logged);
        logger.setLevel(Level.INFO);
        logger.setAdditive(false);
    }

    @AfterEach
    void release() {
        logger.detachAppender(logged);
        logger.setLevel(null);
        logger.setAdditive(true);
    }

    private List<String> lines() {
        return logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void theFirstOccurrenceIsLoggedWithItsDetailAndTheNextOnesOnlyCounted() {
        problem.report("timer", "timer: record refused: {}", "not a JSON object");
        for (int i = 0; i < 500; i++) {
            now.addAndGet(SECOND / 10);
            problem.report("timer", "timer: record refused: {}", "number " + i + " too long");
        }

        assertEquals(List.of("timer: record refused: not a JSON object"), lines());
    }

    @Test
    void aMinuteLaterOneLineCountsThemWithTheLastDetail() {
        problem.report("timer", "refused: {}", "first");
        for (int i = 1; i <= 600; i++) {
            now.addAndGet(SECOND / 10);
            problem.report("timer", "refused: {}", "record " + i);
        }

        assertEquals(List.of("refused: first", "Records refused: 600 more in the last 60 s (the last: refused: record"
                + " 600)"), lines());
    }

    @Test
    void eachKeyHasItsOwnFirstOccurrence() {
        problem.report("timer", "timer refused {}", 1);
        problem.report("serial", "serial refused {}", 1);
        problem.report("timer", "timer refused {}", 2);

        assertEquals(List.of("timer refused 1", "serial refused 1"), lines());
    }

    @Test
    void aBurstThatEndedIsSummarisedByFlushOnceItsMinuteIsOver() {
        problem.report("k", "one");
        problem.report("k", "two");
        problem.report("k", "three");
        now.addAndGet(59 * SECOND);
        problem.flush();
        assertEquals(1, lines().size(), "not a minute yet");

        now.addAndGet(2 * SECOND);
        problem.flush();
        problem.flush();

        assertEquals(List.of("one", "Records refused: 2 more in the last 61 s (the last: three)"), lines());
    }

    @Test
    void afterAQuietMinuteTheProblemIsLoggedInDetailAgain() {
        problem.report("k", "first {}", 1);
        now.addAndGet(61 * SECOND);
        problem.report("k", "first {}", 2);

        assertEquals(List.of("first 1", "first 2"), lines());
    }

    @Test
    void aStackTraceOnlyAtDebug() {
        problem.report("a", "failed: {}", "disk", new IOException("disk full"));
        logger.setLevel(Level.DEBUG);
        problem.report("b", "failed: {}", "disk", new IOException("disk full"));

        assertNull(logged.list.get(0).getThrowableProxy());
        assertEquals("failed: disk", logged.list.get(0).getFormattedMessage());
        assertNotNull(logged.list.get(1).getThrowableProxy());
    }

    @Test
    void keysBeyondTheCapShareOne() {
        for (int i = 0; i < RepeatedProblem.MAX_KEYS + 50; i++) {
            problem.report("key " + i, "problem {}", i);
        }

        assertEquals(RepeatedProblem.MAX_KEYS + 1, lines().size(), "the first of the keys past the cap, once");
    }

    @Test
    void manyThreadsCountEveryOccurrence() throws InterruptedException {
        problem.report("k", "first");
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 10_000; i++) {
                    problem.report("k", "again");
                }
            });
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        now.addAndGet(60 * SECOND);
        problem.flush();

        assertEquals(2, lines().size());
        assertTrue(lines().get(1).startsWith("Records refused: 40,000 more"), lines().get(1));
    }
}
