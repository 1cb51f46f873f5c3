package io.iotuplink.outbox;

import io.iotuplink.envelope.RecordBudget;

/**
 * The outbox as a {@link RecordBudget}: one input hands in at most what the outbox can ever hold, and, when a full
 * outbox refuses, no more than it has room for now. {@link OutboxStore#append} still decides; this only refuses
 * early what it would refuse, before the records are built.
 */
public final class OutboxBudget implements RecordBudget {

    private final OutboxStore store;
    private final long maxReadings;
    private final WhenFull whenFull;

    public OutboxBudget(OutboxStore store, long maxReadings, WhenFull whenFull) {
        this.store = store;
        this.maxReadings = maxReadings;
        this.whenFull = whenFull;
    }

    @Override
    public long max() {
        return maxReadings;
    }

    @Override
    public void admit(long records) {
        long depth = store.depth();
        if (whenFull == WhenFull.REJECT && depth + records > maxReadings) {
            throw new OutboxFullException("the outbox has room for " + Math.max(0, maxReadings - depth)
                    + " more readings (" + depth + " of " + maxReadings + " waiting) and this request holds "
                    + records + ": try again once the connection is back");
        }
    }
}
