package io.iotuplink.status;

import java.util.concurrent.atomic.AtomicLong;

/** Counts of readings published (PUBACK success) and failed (refused after every retry: dead letters). */
public final class PublishStats {

    private final AtomicLong published = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile long lastPublishMillis;

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

    /** Epoch millis of the last successful publish, 0 before the first. */
    public long lastPublishMillis() {
        return lastPublishMillis;
    }
}
