package io.iotuplink.outbox;

import java.util.function.IntSupplier;

/**
 * How many exchanges the outbox consumer may have out at once (each a QoS 1 publish awaiting its PUBACK):
 * {@code maxInflight}, never more than the receive maximum the broker granted in CONNACK (the limit is asked again
 * on every acquire, so a new connection's grant applies at once).
 */
public final class InflightWindow {

    private final IntSupplier limit;
    private int inFlight;
    private int peak;

    public InflightWindow(IntSupplier limit) {
        this.limit = limit;
    }

    /** Takes a slot, waiting at most {@code timeoutMillis} for one; whether it got one. */
    public synchronized boolean acquire(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (inFlight >= Math.max(1, limit.getAsInt())) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        inFlight++;
        peak = Math.max(peak, inFlight);
        return true;
    }

    /** Gives a slot back once its exchange is settled (completed or failed). */
    public synchronized void release() {
        inFlight--;
        notifyAll();
    }

    /** Waits at most {@code timeoutMillis} until nothing is in flight; whether that happened. */
    public synchronized boolean awaitEmpty(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (inFlight > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    public synchronized int inFlight() {
        return inFlight;
    }

    /** The most publishes that were in flight at once since the start. */
    public synchronized int peak() {
        return peak;
    }
}
