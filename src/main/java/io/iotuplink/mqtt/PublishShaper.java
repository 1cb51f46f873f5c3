package io.iotuplink.mqtt;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Keeps publishing on one connection within AWS IoT Core's per-connection quotas: no sliding one-second window holds
 * more than {@code maxPerSecond} publishes or {@code maxBytesPerSecond} payload bytes (0 switches a limit off).
 * Every attempt passes it, retries too; readings that must wait stay in the outbox: shaping delays, never drops.
 * Waiting publishes go out first come, first served, so one handed out early never waits behind later ones.
 */
public final class PublishShaper {

    private static final long WINDOW_NANOS = 1_000_000_000L;

    /** How the shaper waits: asleep, or on a simulated clock in tests. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(long nanos) throws InterruptedException;
    }

    private final int maxPerSecond;
    private final long maxBytesPerSecond;
    private final LongSupplier nanoTime;
    private final Sleeper sleeper;
    private final Deque<long[]> window = new ArrayDeque<>();
    private long windowBytes;
    /**
     * The line of publishes waiting for a slot: a fair lock hands itself over in the order its waiters queued, and
     * only its holder, the head of the line, sleeps until the next slot and takes it; the others are parked.
     */
    private final ReentrantLock line = new ReentrantLock(true);

    public PublishShaper(int maxPerSecond, long maxBytesPerSecond, LongSupplier nanoTime) {
        this(maxPerSecond, maxBytesPerSecond, nanoTime, nanos -> Thread.sleep(nanos / 1_000_000,
                (int) (nanos % 1_000_000)));
    }

    public PublishShaper(int maxPerSecond, long maxBytesPerSecond, LongSupplier nanoTime, Sleeper sleeper) {
        this.maxPerSecond = maxPerSecond;
        this.maxBytesPerSecond = maxBytesPerSecond;
        this.nanoTime = nanoTime;
        this.sleeper = sleeper;
    }

    /** A shaper that never waits. */
    public static PublishShaper off() {
        return new PublishShaper(0, 0, System::nanoTime);
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

    /**
     * Waits until a publish of {@code bytes} may go out, then records it; every thread publishing on the connection
     * calls it. Callers go out in the order they called (first come, first served), and the check and the record are
     * one step, so together they stay within the quotas. An interrupted caller leaves the line without taking a slot.
     */
    public void acquire(int bytes) throws InterruptedException {
        if (maxPerSecond <= 0 && maxBytesPerSecond <= 0) {
            return; // shaping off: nothing to wait for, nothing to record
        }
        line.lockInterruptibly();
        try {
            long wait;
            while ((wait = reserve(bytes)) > 0) {
                sleeper.sleep(wait);
            }
        } finally {
            line.unlock();
        }
    }

    /** How many publishes wait in line behind the one at its head (which may be sleeping until its slot). */
    int queued() {
        return line.getQueueLength();
    }

    /**
     * Whether enough publishes wait in line already to fill the slots of the next tenth of a second (at least 8):
     * the outbox then keeps its next readings until the line is shorter, so that whatever it hands out next (the
     * priority lane's first) joins a short line instead of waiting behind a second's worth of the backlog.
     */
    public boolean lineIsFull() {
        if (maxPerSecond <= 0 && maxBytesPerSecond <= 0) {
            return false;
        }
        int waiting = line.getQueueLength() + (line.isLocked() ? 1 : 0);
        return waiting >= Math.max(8, maxPerSecond / 10);
    }

    /** Records a publish of {@code bytes} and returns 0 when it may go out now, else how long to wait first. */
    private synchronized long reserve(int bytes) {
        long wait = waitFor(bytes);
        if (wait == 0) {
            sent(bytes);
        }
        return wait;
    }

    private void expire(long now) {
        while (!window.isEmpty() && window.peekFirst()[0] + WINDOW_NANOS <= now) {
            windowBytes -= window.removeFirst()[1];
        }
    }
}
