package io.iotuplink.outbox;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Room in the outbox, claimed by an input for the records it is about to build and store, so that what is built at
 * once never exceeds what the outbox holds: one input hands in at most max-readings records, and all inputs at
 * once no more than there is room for (or, when a full outbox drops its oldest, no more than max-readings). It
 * refuses early what {@link OutboxStore#append} would refuse, and keeps concurrent requests from each building a
 * batch only one of them can store.
 */
public final class OutboxBudget {

    private final OutboxStore store;
    private final long maxReadings;
    private final WhenFull whenFull;
    private long claimed;

    public OutboxBudget(OutboxStore store, long maxReadings, WhenFull whenFull) {
        this.store = store;
        this.maxReadings = maxReadings;
        this.whenFull = whenFull;
    }

    /** The most records one input may hand in: what the outbox can ever hold. */
    public long max() {
        return maxReadings;
    }

    /**
     * Claims room for {@code records} until the claim is closed (once they are stored, or refused).
     *
     * @throws OutboxFullException when there is no room for them now
     */
    public synchronized Claim claim(long records) {
        long waiting = whenFull == WhenFull.REJECT ? store.depth() : 0;
        long room = maxReadings - waiting - claimed;
        if (records > room) {
            throw new OutboxFullException("the outbox has room for " + Math.max(0, room) + " more readings ("
                    + store.depth() + " of " + maxReadings + " waiting, " + claimed + " on their way in) and this"
                    + " request holds " + records + ": try again "
                    + (whenFull == WhenFull.REJECT ? "once the connection is back" : "in a moment"));
        }
        claimed += records;
        return new Claim(records);
    }

    private synchronized void release(long records) {
        claimed -= records;
    }

    /** Room held for records on their way into the outbox; closing it again does nothing. */
    public final class Claim implements AutoCloseable {
        private final long records;
        private final AtomicBoolean open = new AtomicBoolean(true);

        private Claim(long records) {
            this.records = records;
        }

        @Override
        public void close() {
            if (open.compareAndSet(true, false)) {
                release(records);
            }
        }
    }
}
