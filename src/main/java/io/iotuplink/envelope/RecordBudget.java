package io.iotuplink.envelope;

/** How many records one input may hand in at once; asked once they are counted, before any of them is built. */
public interface RecordBudget {

    /** The most records one input may hold: more is refused as too large whatever the outbox holds now. */
    long max();

    /** Throws (an {@code OutboxFullException}...) when {@code records} cannot be taken now. */
    void admit(long records);
}
