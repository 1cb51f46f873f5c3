package io.iotuplink.mqtt;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

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

/** The shaper on a simulated clock: no one-second window ever holds more than the quotas allow. */
class PublishShaperTest {

    private long now;

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

    private static void assertWindows(List<long[]> sent, int maxCount, long maxBytes) {
        for (int i = 0; i < sent.size(); i++) {
            long start = sent.get(i)[0];
            int count = 0;
            long bytes = 0;
            for (int j = i; j < sent.size() && sent.get(j)[0] < start + 1_000_000_000L; j++) {
                count++;
                bytes += sent.get(j)[1];
            }
            assertTrue(maxCount == 0 || count <= maxCount, count + " publishes in the second from " + start);
            assertTrue(maxBytes == 0 || bytes <= maxBytes, bytes + " bytes in the second from " + start);
        }
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
        });
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
        // the window frees its first slot after 1 s, then the 150 ahead take 1.5 s at 100/s
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
        assertTrue(waiters.stream().filter(w -> !w.interrupted).allMatch(w -> w.grantedAt == 1_000_000_000L),
                "the 8 left take the 8 slots freed after 1 s");
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
            });
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
