package io.iotuplink.mqtt;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntUnaryOperator;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shaper on a simulated clock: no window of 1.1 s of sends (so no second as the broker sees it, jitter included)
 * ever holds more than the quotas allow, and the broker's 0x97/0x96 slow it down for a while.
 */
class PublishShaperTest {

    private static final long SECOND = 1_000_000_000L;
    /** The longest a second as the broker counts it can span of sends, arrivals jittered by up to 100 ms. */
    private static final long WINDOW = 1_100_000_000L;

    private long now;
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeEach
    void captureLog() {
        logged.start();
        ((Logger) LoggerFactory.getLogger(PublishShaper.class)).addAppender(logged);
    }

    @AfterEach
    void releaseLog() {
        ((Logger) LoggerFactory.getLogger(PublishShaper.class)).detachAppender(logged);
    }

    private List<long[]> stream(PublishShaper shaper, int count, Random sizes, int maxSize) {
        List<long[]> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int bytes = 1 + sizes.nextInt(maxSize);
            long wait;
            while ((wait = shaper.waitFor(bytes)) > 0) {
                now += wait;
            }
            shaper.sent(bytes);
            sent.add(new long[] {now, bytes});
            now += sizes.nextInt(3_000_000); // the publishes themselves take 0-3 ms
        }
        return sent;
    }

    /** Every window of 1.1 s of sends holds at most {@code maxCount} publishes and {@code maxBytes} bytes. */
    private static void assertWindows(List<long[]> sent, int maxCount, long maxBytes) {
        assertWindows(sent, WINDOW, maxCount, maxBytes);
    }

    /** Every window of {@code length} ns in {@code sent} (time and bytes, in time order) holds at most the limits. */
    private static void assertWindows(List<long[]> sent, long length, int maxCount, long maxBytes) {
        for (int i = 0; i < sent.size(); i++) {
            long start = sent.get(i)[0];
            int count = 0;
            long bytes = 0;
            for (int j = i; j < sent.size() && sent.get(j)[0] < start + length; j++) {
                count++;
                bytes += sent.get(j)[1];
            }
            assertTrue(maxCount == 0 || count <= maxCount, count + " publishes in the " + length + " ns from " + start);
            assertTrue(maxBytes == 0 || bytes <= maxBytes, bytes + " bytes in the " + length + " ns from " + start);
        }
    }

    private List<String> warnings() {
        return logged.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    private List<String> infos() {
        return logged.list.stream().filter(e -> e.getLevel() == Level.INFO).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    @Test
    void theRateLimitHoldsInEverySecond() {
        PublishShaper shaper = new PublishShaper(100, 0, () -> now);

        List<long[]> sent = stream(shaper, 1_000, new Random(1), 200);

        assertWindows(sent, 100, 0);
        long took = sent.get(sent.size() - 1)[0] - sent.get(0)[0];
        assertTrue(took >= 9_000_000_000L, "1000 publishes at 100/s take at least 9 s: " + took);
    }

    @Test
    void theByteLimitHoldsInEverySecond() {
        PublishShaper shaper = new PublishShaper(0, 512 * 1024, () -> now);

        List<long[]> sent = stream(shaper, 300, new Random(2), 64 * 1024);

        assertWindows(sent, 0, 512 * 1024);
    }

    @Test
    void aBurstOfLargePublishesNeverPutsMoreThan512KiBInAnyWindowOfOnePointOneSeconds() {
        PublishShaper shaper = new PublishShaper(100, 512 * 1024, () -> now);
        List<long[]> sent = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            int bytes = 128 * 1024 + 120; // a full batch and its topic and properties
            long wait;
            while ((wait = shaper.waitFor(bytes)) > 0) {
                now += wait;
            }
            shaper.sent(bytes);
            sent.add(new long[] {now, bytes});
        }

        assertWindows(sent, 100, 512 * 1024);
        // three fit in a window, so 40 take 13 windows and a bit: 9 % under the quota, never over it
        assertEquals(13 * WINDOW, sent.get(39)[0], "the 40th publish went out when the 13th window ended");
    }

    @Test
    void arrivalsBunchedByUpTo100MsOfJitterStayWithinTheQuotasInEverySecondTheBrokerCounts() {
        PublishShaper shaper = new PublishShaper(100, 512 * 1024, () -> now);
        Random jitter = new Random(6);

        List<long[]> arrived = new ArrayList<>(stream(shaper, 2_000, new Random(7), 32 * 1024).stream()
                .map(s -> new long[] {s[0] + jitter.nextInt(100_000_000), s[1]}).toList());
        arrived.sort(Comparator.comparingLong(a -> a[0]));

        assertWindows(arrived, SECOND, 100, 512 * 1024);
    }

    @Test
    void aBacklogGoesOutEvenlyAtTheWindowsRateNotInBursts() {
        int bytes = 25_800; // a batch of 500 small readings, as the benchmark drains them
        List<long[]> paced = drain(new PublishShaper(100, 512 * 1024, () -> now), 200, bytes);
        List<long[]> bursts = drain(new PublishShaper(100, 512 * 1024, () -> now, nanos -> { }, false), 200, bytes);

        assertWindows(paced, 100, 512 * 1024);
        // a window's worth (20 publishes, 504 KiB) at once, unpaced: its last ones reach the broker late, beside the
        // first of the next window's burst
        assertEquals(20, busiest(bursts, 100_000_000L));
        assertTrue(busiest(paced, 100_000_000L) <= 3, "paced: at most 3 in any 100 ms, not "
                + busiest(paced, 100_000_000L));
        long pacedTook = paced.get(199)[0] - paced.get(0)[0];
        long burstsTook = bursts.get(199)[0] - bursts.get(0)[0];
        assertTrue(pacedTook <= burstsTook + WINDOW, "no slower than the window allows: " + pacedTook + " ns against "
                + burstsTook);
    }

    /** Sends {@code count} publishes of {@code bytes} through the shaper as fast as it lets them, on the clock. */
    private List<long[]> drain(PublishShaper shaper, int count, int bytes) {
        List<long[]> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long wait;
            while ((wait = shaper.waitFor(bytes)) > 0) {
                now += wait;
            }
            shaper.sent(bytes);
            sent.add(new long[] {now, bytes});
        }
        return sent;
    }

    /** The most publishes sent within any {@code nanos}. */
    private static int busiest(List<long[]> sent, long nanos) {
        int most = 0;
        for (int i = 0, j = 0; i < sent.size(); i++) {
            while (sent.get(i)[0] - sent.get(j)[0] >= nanos) {
                j++;
            }
            most = Math.max(most, i - j + 1);
        }
        return most;
    }

    @Test
    void bothLimitsTogetherAndZeroMeansUnlimited() {
        PublishShaper shaper = new PublishShaper(50, 100_000, () -> now);
        assertWindows(stream(shaper, 500, new Random(3), 8_000), 50, 100_000);

        PublishShaper unlimited = new PublishShaper(0, 0, () -> now);
        long before = now;
        stream(unlimited, 100, new Random(4), 1);
        assertTrue(now - before < 100 * 3_000_000L, "never waits");
        assertEquals(0, unlimited.waitFor(1_000_000));
    }

    @Test
    void publishersOnManyThreadsTogetherGetNoMoreThanTheRate() throws Exception {
        // time stands still: whoever would have to wait gives up instead, so what got through is what one second holds
        PublishShaper shaper = new PublishShaper(20, 0, () -> 0L, nanos -> {
            throw new InterruptedException("would wait " + nanos + " ns");
        }, false);
        AtomicInteger through = new AtomicInteger();
        AtomicInteger waited = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < 5; i++) {
                        try {
                            shaper.acquire(1);
                            through.incrementAndGet();
                        } catch (InterruptedException e) {
                            waited.incrementAndGet();
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            thread.start();
            threads.add(thread);
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join(10_000);
        }

        assertEquals(20, through.get(), "the check and the record are one step");
        assertEquals(20, waited.get());
    }

    @Test
    void waitersGoOutInTheOrderTheyStartedWaiting() {
        Line line = new Line(100, 0);
        line.fillTheWindow(100, 1);

        List<Waiter> waiters = line.queue(150, i -> 1);
        line.open();

        assertEquals(IntStream.range(0, 150).boxed().toList(), line.grantOrder(waiters));
        assertWindows(line.grants(waiters), 100, 0);
    }

    @Test
    void aLateWaiterGoesOutAfterThoseBeforeItWithinTheirShareOfTheRate() {
        Line line = new Line(100, 0);
        line.fillTheWindow(100, 1);
        List<Waiter> waiters = new ArrayList<>(line.queue(150, i -> 1));

        Waiter late = line.queueOne(150, 1);
        waiters.add(late);
        line.open();

        assertEquals(IntStream.rangeClosed(0, 150).boxed().toList(), line.grantOrder(waiters));
        // the window frees its first 100 slots after 1.1 s, the next after 2.2 s
        assertTrue(late.grantedAt <= 2_500_000_000L, "the late waiter went out at " + late.grantedAt + " ns");
        assertWindows(line.grants(waiters), 100, 0);
    }

    @Test
    void theByteLimitHoldsForAWholeLine() {
        Line line = new Line(100, 512 * 1024);
        line.fillTheWindow(1, 512 * 1024);
        Random sizes = new Random(5);

        List<Waiter> waiters = line.queue(150, i -> 1 + sizes.nextInt(64 * 1024));
        line.open();

        assertEquals(IntStream.range(0, 150).boxed().toList(), line.grantOrder(waiters));
        List<long[]> sent = new ArrayList<>(line.grants(waiters));
        sent.add(0, new long[] {0, 512 * 1024});
        assertWindows(sent, 100, 512 * 1024);
    }

    @Test
    void anInterruptedWaiterLeavesTheLineWithoutStallingIt() {
        Line line = new Line(100, 0);
        line.fillTheWindow(100, 1);
        List<Waiter> waiters = line.queue(10, i -> 1);

        waiters.get(4).thread.interrupt(); // parked in the line
        Awaitility.await("the interrupted waiter left the line").atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(1)).until(() -> line.shaper.queued() == 8);
        waiters.get(0).thread.interrupt(); // at the head of the line, asleep until its slot
        Awaitility.await("the next waiter at the head of the line").atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(1)).until(() -> line.sleeps.get() == 2 && line.shaper.queued() == 7);
        line.open();

        assertEquals(List.of(1, 2, 3, 5, 6, 7, 8, 9), line.grantOrder(waiters));
        assertTrue(waiters.get(0).interrupted && waiters.get(4).interrupted);
        assertTrue(waiters.stream().filter(w -> !w.interrupted).allMatch(w -> w.grantedAt == WINDOW),
                "the 8 left take the 8 slots freed after 1.1 s");
    }

    @Test
    void itsLineIsFullWithATenthOfASecondsWorthOfPublishesWaiting() {
        assertFalse(PublishShaper.off().lineIsFull(), "shaping off: there is no line");
        Line line = new Line(100, 0);
        line.fillTheWindow(100, 1);
        List<Waiter> waiters = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            assertFalse(line.shaper.lineIsFull(), i + " waiting");
            waiters.add(line.queueOne(i, 1));
        }

        assertTrue(line.shaper.lineIsFull(), "10 waiting at 100/s: the outbox keeps the next readings");
        line.open();
        line.grantOrder(waiters);
        assertFalse(line.shaper.lineIsFull());
    }

    @Test
    void itsLineCountsBytesAndTheSlowedDownRateSoAnEventNeverWaitsBehindSecondsOfBatches() {
        Line line = new Line(100, 512 * 1024);
        line.fillTheWindow(100, 1);
        List<Waiter> waiters = new ArrayList<>();
        waiters.add(line.queueOne(0, 1_000));
        assertFalse(line.shaper.lineIsFull(), "one small publish: 11 ms of the line");
        waiters.add(line.queueOne(1, 60 * 1024));
        assertTrue(line.shaper.lineIsFull(), "a 60 KiB batch takes 129 ms of the byte quota: the line is full");
        assertTrue(line.shaper.lineNanos() < 1_000_000_000L, "an event handed out now waits less than a second");
        assertEquals(128 * 1024, line.shaper.publishBytesNow(), "batches of 128 KB at the full quota");

        for (int i = 0; i < 3; i++) {
            line.clock.addAndGet(PublishShaper.WINDOW_NANOS); // each signal a window after the one before
            line.shaper.slowDown("PUBACK 0x97 quota exceeded");
        }
        assertEquals(8, line.shaper.limits().divisor());
        assertEquals(16 * 1024, line.shaper.publishBytesNow(), "smaller batches at an eighth of the byte quota");
        assertTrue(line.shaper.lineIsFull(), "at an eighth of the quota the same line lasts 8 times longer");
        line.open();
        line.grantOrder(waiters);
        assertFalse(line.shaper.lineIsFull(), "an empty line is never full");
    }

    @Test
    void aQuotaSignalHalvesBothLimitsAndTheWindowsKeepTheLowerOnes() {
        PublishShaper shaper = new PublishShaper(100, 512 * 1024, () -> now);
        List<long[]> before = stream(shaper, 300, new Random(8), 8 * 1024);

        shaper.slowDown("PUBACK 0x97 quota exceeded");

        assertEquals(new PublishShaper.Limits(50, 256 * 1024, 2), shaper.limits());
        assertTrue(shaper.slowedDown());
        assertEquals(List.of("The broker says this connection exceeded its quotas (PUBACK 0x97 quota exceeded):"
                + " publishing slowed down to 50 publishes and 256 KiB per 1.1 s (1/2 of the quotas) until the broker"
                + " is quiet for 30 s"), warnings());
        long slowedAt = now;
        List<long[]> after = stream(shaper, 300, new Random(9), 8 * 1024);
        // the windows that start at the slow-down or later hold only what the lower limits allow
        List<long[]> all = new ArrayList<>(before);
        all.addAll(after);
        assertWindows(all.stream().filter(s -> s[0] >= slowedAt).toList(), 50, 256 * 1024);
        assertTrue(after.get(0)[0] >= slowedAt, "nothing went out before its time");
        long took = after.get(299)[0] - slowedAt;
        assertTrue(took >= 5 * WINDOW, "300 publishes at 50 per 1.1 s take at least 5.5 s: " + took);
    }

    @Test
    void signalsWithinOneWindowOfAHalvingCountAsOne() {
        PublishShaper shaper = new PublishShaper(100, 512 * 1024, () -> now);

        for (int i = 0; i < 20; i++) { // the refusals of every publish in flight
            shaper.slowDown("PUBACK 0x97 quota exceeded");
            now += 10_000_000;
        }

        assertEquals(2, shaper.limits().divisor());
        assertEquals(1, warnings().size(), "one WARN per slow-down: " + warnings());
    }

    @Test
    void repeatedSignalsHalveAgainDownToAnEighthButAtLeastOnePublish() {
        PublishShaper shaper = new PublishShaper(10, 512 * 1024, () -> now);
        List<PublishShaper.Limits> seen = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            shaper.slowDown("DISCONNECT 0x96 message rate too high");
            seen.add(shaper.limits());
            now += 2 * SECOND;
        }

        assertEquals(List.of(new PublishShaper.Limits(5, 256 * 1024, 2), new PublishShaper.Limits(2, 128 * 1024, 4),
                new PublishShaper.Limits(1, 64 * 1024, 8), new PublishShaper.Limits(1, 64 * 1024, 8),
                new PublishShaper.Limits(1, 64 * 1024, 8)), seen);
        assertEquals(3, warnings().size(), "a WARN for each halving, none at the floor: " + warnings());
        assertEquals(3, shaper.slowDowns());
        assertTrue(warnings().get(2).contains("1 publish and 64 KiB per 1.1 s (1/8 of the quotas)"),
                warnings().get(2));
    }

    @Test
    void aPublishOverTheSlowedByteLimitGoesOutAloneOnceTheWindowIsEmpty() {
        PublishShaper shaper = new PublishShaper(100, 512 * 1024, () -> now);
        for (int i = 0; i < 3; i++) {
            shaper.slowDown("PUBACK 0x97 quota exceeded");
            now += 2 * SECOND;
        }
        int batch = 128 * 1024 + 120; // over the 64 KiB an eighth of the quota allows
        shaper.sent(1_000);
        now += 10_000_000;

        assertEquals(WINDOW - 10_000_000, shaper.waitFor(batch), "it waits until the window is empty");
        now += WINDOW;
        assertEquals(0, shaper.waitFor(batch), "then goes out");
        shaper.sent(batch);
        assertEquals(WINDOW, shaper.waitFor(1), "alone: the window is over its limit until it expires");
    }

    @Test
    void theFullLimitsReturnAfter30SecondsWithoutASignal() {
        PublishShaper shaper = new PublishShaper(100, 512 * 1024, () -> now);
        shaper.slowDown("PUBACK 0x97 quota exceeded");
        now += 20 * SECOND;
        shaper.slowDown("PUBACK 0x97 quota exceeded");

        now += 29 * SECOND;
        assertEquals(4, shaper.limits().divisor(), "29 s since the last signal: still slowed down");
        assertTrue(infos().isEmpty(), infos().toString());

        now += SECOND;
        assertEquals(new PublishShaper.Limits(100, 512 * 1024, 1), shaper.limits());
        assertFalse(shaper.slowedDown());
        assertEquals(List.of("No quota signal from the broker for 30 s: publishing back to 100 publishes and 512 KiB"
                + " per 1.1 s"), infos());

        shaper.slowDown("DISCONNECT 0x97 quota exceeded");
        assertEquals(2, shaper.limits().divisor(), "a signal after the recovery halves the configured limits");
    }

    @Test
    void shapingOffIgnoresTheBrokersSignals() {
        PublishShaper off = PublishShaper.off();

        off.slowDown("PUBACK 0x97 quota exceeded");

        assertFalse(off.slowedDown());
        assertEquals(0, off.waitFor(1_000_000));
        assertTrue(warnings().isEmpty());
    }

    /** One publishing thread of a {@link Line}: its place in the queue, and when its slot was granted. */
    private static final class Waiter {
        final int place;
        final int bytes;
        Thread thread;
        volatile long grantedAt = -1;
        volatile long grantedAsRead = -1;
        volatile boolean interrupted;

        Waiter(int place, int bytes) {
            this.place = place;
            this.bytes = bytes;
        }
    }

    /**
     * A shaper on a simulated clock with real threads waiting in it. The head of the line sleeps on the clock, which
     * advances by what it asked for once the line is opened; until then the head sleeps and the others queue. Only
     * the head reads the clock, so a waiter's last reading before its slot was granted says when, and (numbered)
     * which slot came first, even among slots granted at the same simulated instant.
     */
    private static final class Line {
        final AtomicLong clock = new AtomicLong();
        final AtomicLong reads = new AtomicLong();
        final AtomicInteger sleeps = new AtomicInteger();
        final CountDownLatch gate = new CountDownLatch(1);
        final ThreadLocal<long[]> lastRead = ThreadLocal.withInitial(() -> new long[] {-1, -1});
        final PublishShaper shaper;

        Line(int maxPerSecond, long maxBytesPerSecond) {
            shaper = new PublishShaper(maxPerSecond, maxBytesPerSecond, () -> {
                long now = clock.get();
                lastRead.set(new long[] {now, reads.incrementAndGet()});
                return now;
            }, nanos -> {
                sleeps.incrementAndGet();
                gate.await();
                clock.addAndGet(nanos);
            }, false); // the window alone: pacing has tests of its own
        }

        void fillTheWindow(int publishes, int bytes) {
            for (int i = 0; i < publishes; i++) {
                try {
                    shaper.acquire(bytes);
                } catch (InterruptedException e) {
                    throw new AssertionError("the window was not full yet", e);
                }
            }
        }

        /** Starts {@code count} waiters one after the other, each queued before the next starts. */
        List<Waiter> queue(int count, IntUnaryOperator bytes) {
            List<Waiter> waiters = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                waiters.add(queueOne(i, bytes.applyAsInt(i)));
            }
            return waiters;
        }

        Waiter queueOne(int place, int bytes) {
            Waiter waiter = new Waiter(place, bytes);
            int queuedBefore = shaper.queued();
            boolean first = sleeps.get() == 0;
            waiter.thread = new Thread(() -> {
                try {
                    shaper.acquire(bytes);
                    long[] read = lastRead.get();
                    waiter.grantedAt = read[0];
                    waiter.grantedAsRead = read[1];
                } catch (InterruptedException e) {
                    waiter.interrupted = true;
                }
            }, "waiter-" + place);
            waiter.thread.start();
            Awaitility.await("waiter " + place + " in line").atMost(Duration.ofSeconds(5))
                    .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                    .until(() -> first ? sleeps.get() == 1 : shaper.queued() == queuedBefore + 1);
            return waiter;
        }

        void open() {
            gate.countDown();
        }

        /** The places of {@code waiters} in the order their slots were granted, once all are through (or gave up). */
        List<Integer> grantOrder(List<Waiter> waiters) {
            awaitAll(waiters);
            return waiters.stream().filter(w -> !w.interrupted).sorted(Comparator.comparingLong(w -> w.grantedAsRead))
                    .map(w -> w.place).toList();
        }

        /** When each slot was granted and for how many bytes, in the order granted. */
        List<long[]> grants(List<Waiter> waiters) {
            awaitAll(waiters);
            return waiters.stream().filter(w -> !w.interrupted).sorted(Comparator.comparingLong(w -> w.grantedAsRead))
                    .map(w -> new long[] {w.grantedAt, w.bytes}).toList();
        }

        private static void awaitAll(List<Waiter> waiters) {
            for (Waiter waiter : waiters) {
                try {
                    waiter.thread.join(10_000);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                assertFalse(waiter.thread.isAlive(), waiter.thread.getName() + " still waits: "
                        + Arrays.toString(waiter.thread.getStackTrace()));
            }
        }
    }
}
