package io.iotuplink.status;

import java.util.concurrent.atomic.AtomicLong;

/** Counts of readings accepted, published (PUBACK success) and failed (refused or retries exhausted). */
public final class PublishStats {

    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile long lastPublishMillis;

    public void countAccepted() {
        accepted.incrementAndGet();
    }

    public void countPublished(long atMillis) {
        published.incrementAndGet();
        lastPublishMillis = atMillis;
    }

    public void countFailed() {
        failed.incrementAndGet();
    }

    public long published() {
        return published.get();
    }

    public long failed() {
        return failed.get();
    }

    /** Readings accepted but neither published nor dead-lettered yet (being sent or waiting for a retry). */
    public long pending() {
        return Math.max(0, accepted.get() - published.get() - failed.get());
    }

    /** Epoch millis of the last successful publish, 0 before the first. */
    public long lastPublishMillis() {
        return lastPublishMillis;
    }
}
