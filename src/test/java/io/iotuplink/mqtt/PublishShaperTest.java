package io.iotuplink.mqtt;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
