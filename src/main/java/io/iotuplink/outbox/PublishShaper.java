package io.iotuplink.outbox;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.LongSupplier;

/**
 * Keeps publishing within AWS IoT Core's per-connection quotas: no sliding one-second window holds more than
 * {@code maxPerSecond} publishes or {@code maxBytesPerSecond} payload bytes (0 switches a limit off). Readings
 * that must wait stay in the outbox: shaping delays, it never drops.
 */
public final class PublishShaper {

    private static final long WINDOW_NANOS = 1_000_000_000L;

    private final int maxPerSecond;
    private final long maxBytesPerSecond;
    private final LongSupplier nanoTime;
    private final Deque<long[]> window = new ArrayDeque<>();
    private long windowBytes;

    public PublishShaper(int maxPerSecond, long maxBytesPerSecond, LongSupplier nanoTime) {
        this.maxPerSecond = maxPerSecond;
        this.maxBytesPerSecond = maxBytesPerSecond;
        this.nanoTime = nanoTime;
    }

    /** Nanoseconds to wait before a publish of {@code bytes} may go out now; 0 when it may. */
    public synchronized long waitFor(int bytes) {
        long now = nanoTime.getAsLong();
        expire(now);
        long wait = 0;
        if (maxPerSecond > 0 && window.size() >= maxPerSecond) {
            wait = Math.max(wait, window.peekFirst()[0] + WINDOW_NANOS - now);
        }
        if (maxBytesPerSecond > 0 && windowBytes + bytes > maxBytesPerSecond && !window.isEmpty()) {
            long freed = 0;
            for (long[] sent : window) {
                freed += sent[1];
                if (windowBytes - freed + bytes <= maxBytesPerSecond) {
                    wait = Math.max(wait, sent[0] + WINDOW_NANOS - now);
                    break;
                }
            }
        }
        return Math.max(0, wait);
    }

    /** Records a publish of {@code bytes} going out now. */
    public synchronized void sent(int bytes) {
        long now = nanoTime.getAsLong();
        expire(now);
        window.addLast(new long[] {now, bytes});
        windowBytes += bytes;
    }

    /** Waits (sleeping) until a publish of {@code bytes} may go out, then records it. */
    public void acquire(int bytes) throws InterruptedException {
        if (maxPerSecond <= 0 && maxBytesPerSecond <= 0) {
            return; // shaping off: nothing to wait for, nothing to record
        }
        long wait;
        while ((wait = waitFor(bytes)) > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        sent(bytes);
    }

    private void expire(long now) {
        while (!window.isEmpty() && window.peekFirst()[0] + WINDOW_NANOS <= now) {
            windowBytes -= window.removeFirst()[1];
        }
    }
}
