package io.iotuplink.mqtt;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Keeps publishing on one connection within AWS IoT Core's per-connection quotas, counting every PUBLISH at its size
 * on the wire ({@link PublishPacket}: topic, properties and the payload as sent, after compression).
 *
 * <p>No sliding window of 1.1 s of sends holds more than {@code maxPerSecond} publishes or
 * {@code maxBytesPerSecond} bytes (0 switches a limit off). The window is a tenth longer than the broker's second
 * because the broker counts arrivals, not sends: network and scheduling jitter bunch publishes sent 1.05 s apart
 * into one of its seconds (an AWS-like broker counted 531,337 bytes in one second while a one-second window of sends
 * held 512 KiB). As long as the time from send to arrival varies by less than 100 ms, any second as the broker sees
 * it holds publishes sent at most 1.1 s apart, so it stays within the quotas whatever the publishes' sizes. That
 * costs about 9 % of the quotas: at most 100 publishes and 512 KiB per 1.1 s are 91 publishes/s and 465 KiB/s.
 *
 * <p>Within the window, publishes are paced at that average rate (a generic cell rate algorithm: each publish moves
 * the earliest time of the next on by its share of the window, and a publish may go up to 50 ms early): a backlog
 * goes out evenly, a tenth of a window at most at once, instead of a whole window's worth in one burst whose last
 * publishes would reach the broker late, in its next second, beside the first of the next burst (a backlog of
 * 25 KiB batches drained in bursts put 539,673 bytes into one second at the broker, even with the 1.1 s window).
 *
 * <p>It also slows down when the broker says the quotas were exceeded after all ({@link #slowDown}: a PUBACK
 * {@code 0x97 quota exceeded}, a DISCONNECT {@code 0x96 message rate too high} or {@code 0x97}): each such signal
 * halves both limits, down to an eighth of the configured ones (and at least one publish per window); signals
 * within one window of a halving (the publishes already sent at the earlier rate) count as the same one. Once
 * 30 s pass without a signal, both limits are back to the configured ones. One WARN per halving, one INFO on the
 * way back.
 *
 * <p>Every attempt passes it, retries too; readings that must wait stay in the outbox: shaping delays, never drops.
 * Waiting publishes go out first come, first served, so one handed out early never waits behind later ones. A
 * publish larger than the byte limit goes out alone, once the window is empty. Any thread may call any method.
 */
public final class PublishShaper {

    private static final Logger LOG = LoggerFactory.getLogger(PublishShaper.class);

    /** The window the quotas are kept over: AWS's second and a tenth for the jitter of arrivals. */
    public static final long WINDOW_MILLIS = 1_100;
    static final long WINDOW_NANOS = WINDOW_MILLIS * 1_000_000L;
    /** How early a publish may go before its paced time: a short burst after a pause is fine. */
    static final long PACE_TOLERANCE_NANOS = 50_000_000L;
    /** How long the broker must stay quiet before a slowed-down shaper goes back to the configured limits. */
    static final long RECOVERY_NANOS = 30_000_000_000L;
    /** The slowest a slow-down goes: an eighth of the configured limits. */
    static final int MAX_DIVISOR = 8;

    /** How the shaper waits: asleep, or on a simulated clock in tests. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(long nanos) throws InterruptedException;
    }

    /** The limits the shaper keeps now, per window: the configured ones divided by {@code divisor} (1, 2, 4 or 8). */
    public record Limits(int publishes, long bytes, int divisor) {

        /** Whether the broker's signals made the shaper slow down below the configured limits. */
        public boolean slowedDown() {
            return divisor > 1;
        }
    }

    private final int maxPerSecond;
    private final long maxBytesPerSecond;
    private final LongSupplier nanoTime;
    private final Sleeper sleeper;
    private final boolean paced;
    private final Deque<long[]> window = new ArrayDeque<>();
    private long windowBytes;
    /** When the next publish is due at the paced rate (its theoretical send time); it may go up to the tolerance early. */
    private long pacedNanos = Long.MIN_VALUE;
    /** 1 at the configured limits, 2, 4 or 8 after slow-downs. */
    private int divisor = 1;
    private long lastHalvingNanos;
    private long lastSignalNanos;
    private long slowDowns;
    /**
     * The line of publishes waiting for a slot: a fair lock hands itself over in the order its waiters queued, and
     * only its holder, the head of the line, sleeps until the next slot and takes it; the others are parked.
     */
    private final ReentrantLock line = new ReentrantLock(true);
    /** Publishes in line (the head's included) and their bytes: how long the line takes decides whether it is full. */
    private final java.util.concurrent.atomic.AtomicInteger inLine = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong bytesInLine = new java.util.concurrent.atomic.AtomicLong();
    /** How much of the line is full: a tenth of a second of publishes at the limits kept now. */
    static final long LINE_NANOS = 100_000_000L;

    public PublishShaper(int maxPerSecond, long maxBytesPerSecond, LongSupplier nanoTime) {
        this(maxPerSecond, maxBytesPerSecond, nanoTime, nanos -> Thread.sleep(nanos / 1_000_000,
                (int) (nanos % 1_000_000)));
    }

    public PublishShaper(int maxPerSecond, long maxBytesPerSecond, LongSupplier nanoTime, Sleeper sleeper) {
        this(maxPerSecond, maxBytesPerSecond, nanoTime, sleeper, true);
    }

    /** @param paced whether publishes are paced within the window (as they always are on a connection) */
    PublishShaper(int maxPerSecond, long maxBytesPerSecond, LongSupplier nanoTime, Sleeper sleeper, boolean paced) {
        this.maxPerSecond = maxPerSecond;
        this.maxBytesPerSecond = maxBytesPerSecond;
        this.nanoTime = nanoTime;
        this.sleeper = sleeper;
        this.paced = paced;
    }

    /** A shaper that never waits. */
    public static PublishShaper off() {
        return new PublishShaper(0, 0, System::nanoTime);
    }

    private boolean isOff() {
        return maxPerSecond <= 0 && maxBytesPerSecond <= 0;
    }

    /** Nanoseconds to wait before a publish of {@code bytes} may go out now; 0 when it may. */
    public synchronized long waitFor(int bytes) {
        long now = nanoTime.getAsLong();
        expire(now);
        Limits limits = limits(now);
        long wait = 0;
        if (limits.publishes() > 0 && window.size() >= limits.publishes()) {
            // after a slow-down the window may hold more than the new limit: wait until enough of it expired
            int toExpire = window.size() - limits.publishes();
            for (long[] sent : window) {
                if (toExpire-- == 0) {
                    wait = Math.max(wait, sent[0] + WINDOW_NANOS - now);
                    break;
                }
            }
        }
        if (paced && pacedNanos != Long.MIN_VALUE) {
            wait = Math.max(wait, pacedNanos - PACE_TOLERANCE_NANOS - now);
        }
        if (limits.bytes() > 0 && windowBytes + bytes > limits.bytes() && !window.isEmpty()) {
            long freed = 0;
            for (long[] sent : window) {
                freed += sent[1];
                // a publish over the limit goes out alone
                if (windowBytes - freed + bytes <= limits.bytes() || freed == windowBytes) {
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
        Limits limits = limits(now);
        long share = Math.max(limits.publishes() > 0 ? WINDOW_NANOS / limits.publishes() : 0,
                limits.bytes() > 0 ? Math.min(WINDOW_NANOS, bytes * WINDOW_NANOS / limits.bytes()) : 0);
        pacedNanos = (pacedNanos == Long.MIN_VALUE ? now : Math.max(pacedNanos, now)) + share;
    }

    /**
     * Waits until a publish of {@code bytes} may go out, then records it; every thread publishing on the connection
     * calls it. Callers go out in the order they called (first come, first served), and the check and the record are
     * one step, so together they stay within the quotas. An interrupted caller leaves the line without taking a slot.
     */
    public void acquire(int bytes) throws InterruptedException {
        if (isOff()) {
            return; // shaping off: nothing to wait for, nothing to record
        }
        inLine.incrementAndGet();
        bytesInLine.addAndGet(bytes);
        try {
            line.lockInterruptibly();
            try {
                long wait;
                while ((wait = reserve(bytes)) > 0) {
                    sleeper.sleep(wait);
                }
            } finally {
                line.unlock();
            }
        } finally {
            inLine.decrementAndGet();
            bytesInLine.addAndGet(-bytes);
        }
    }

    /**
     * Told that the broker says this connection exceeded its quotas ({@code reason}, like
     * {@code PUBACK 0x97 quota exceeded}): halves the limits unless they were halved less than a window ago or are
     * at an eighth already, and in any case restarts the 30 s the broker must stay quiet before the full limits
     * return. Does nothing when shaping is off.
     */
    public synchronized void slowDown(String reason) {
        if (isOff()) {
            return;
        }
        long now = nanoTime.getAsLong();
        limits(now); // a signal after 30 s of quiet halves the configured limits, not the slowed ones
        lastSignalNanos = now;
        if (divisor >= MAX_DIVISOR || (divisor > 1 && now - lastHalvingNanos < WINDOW_NANOS)) {
            return;
        }
        divisor *= 2;
        lastHalvingNanos = now;
        slowDowns++;
        Limits slowed = limits(now);
        LOG.warn("The broker says this connection exceeded its quotas ({}): publishing slowed down to {} until the"
                + " broker is quiet for {} s", reason, describe(slowed), RECOVERY_NANOS / 1_000_000_000L);
    }

    /** The limits kept now (those configured, or lower after the broker's signals); read-only, for the status. */
    public synchronized Limits limits() {
        return limits(nanoTime.getAsLong());
    }

    /** Whether the broker's signals made the shaper slow down below the configured limits now. */
    public boolean slowedDown() {
        return limits().slowedDown();
    }

    /** How many times the broker's signals halved the limits since the start; read-only, for a metric. */
    public synchronized long slowDowns() {
        return slowDowns;
    }

    /** How many publishes wait in line behind the one at its head (which may be sleeping until its slot). */
    int queued() {
        return line.getQueueLength();
    }

    /** The bytes the window holds now. */
    synchronized long windowBytes() {
        expire(nanoTime.getAsLong());
        return windowBytes;
    }

    /** How long the publishes in line (the head's included) take to go out at the limits kept now. */
    long lineNanos() {
        Limits limits = limits();
        long publishes = inLine.get();
        long bytes = bytesInLine.get();
        return Math.max(limits.publishes() > 0 ? publishes * WINDOW_NANOS / limits.publishes() : 0,
                limits.bytes() > 0 ? bytes * WINDOW_NANOS / limits.bytes() : 0);
    }

    /**
     * Whether the publishes in line already fill the next tenth of a second at the limits kept now (slowed down
     * ones included), counting their bytes as well as their number: the outbox then keeps its next readings until
     * the line is shorter, so that whatever it hands out next (the priority lane's first) joins a short line instead
     * of waiting behind a second's worth of the backlog or a few large batches.
     */
    public boolean lineIsFull() {
        if (isOff()) {
            return false;
        }
        return inLine.get() > 0 && lineNanos() >= LINE_NANOS;
    }

    /**
     * The most bytes one publish should carry now so that it takes at most a quarter of a window at the limits kept
     * now (a batch is cut there): 128 KB batches at the full quota, smaller ones once the broker slowed it down, so
     * that an event never waits long behind one. {@link Long#MAX_VALUE} when shaping is off.
     */
    public long publishBytesNow() {
        long bytes = limits().bytes();
        return isOff() || bytes <= 0 ? Long.MAX_VALUE : Math.max(4_096, bytes / 4);
    }

    /** The limits now, back to the configured ones (and said so) once the broker was quiet for 30 s. */
    private Limits limits(long now) {
        if (divisor > 1 && now - lastSignalNanos >= RECOVERY_NANOS) {
            divisor = 1;
            LOG.info("No quota signal from the broker for {} s: publishing back to {}",
                    RECOVERY_NANOS / 1_000_000_000L, describe(current()));
        }
        return current();
    }

    private Limits current() {
        return new Limits(maxPerSecond <= 0 ? 0 : Math.max(1, maxPerSecond / divisor),
                maxBytesPerSecond <= 0 ? 0 : Math.max(1, maxBytesPerSecond / divisor), divisor);
    }

    /** Like {@code 50 publishes and 256 KiB per 1.1 s (1/2 of the quotas)}. */
    private static String describe(Limits limits) {
        long bytes = limits.bytes();
        String size = bytes % 1024 == 0 ? bytes / 1024 + " KiB" : bytes + " bytes";
        String publishes = limits.publishes() + (limits.publishes() == 1 ? " publish" : " publishes");
        String what = limits.publishes() == 0 ? size : bytes == 0 ? publishes : publishes + " and " + size;
        return what + " per " + WINDOW_MILLIS / 1000.0 + " s"
                + (limits.slowedDown() ? " (1/" + limits.divisor() + " of the quotas)" : "");
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
