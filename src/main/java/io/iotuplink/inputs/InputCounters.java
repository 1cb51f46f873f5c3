package io.iotuplink.inputs;

import io.iotuplink.status.UplinkMetrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How many records each input (file, http, serial, timer, command, or a user's route) accepted and refused: the one
 * count, which the status document reads and the Prometheus metrics observe.
 */
public final class InputCounters {

    private final Map<String, AtomicLong[]> counts = new ConcurrentSkipListMap<>();
    private UplinkMetrics metrics;

    /** Lets {@code metrics} observe every input's counts, those seen so far and those to come. */
    public synchronized void reportTo(UplinkMetrics metrics) {
        this.metrics = metrics;
        counts.keySet().forEach(input -> metrics.observeInput(this, input));
    }

    public void accepted(String input, long n) {
        slot(input)[0].addAndGet(n);
    }

    public void refused(String input, long n) {
        slot(input)[1].addAndGet(n);
    }

    public long accepted(String input) {
        AtomicLong[] slot = counts.get(input);
        return slot == null ? 0 : slot[0].get();
    }

    public long refused(String input) {
        AtomicLong[] slot = counts.get(input);
        return slot == null ? 0 : slot[1].get();
    }

    /** {@code {"file": {"accepted": 3, "refused": 1}, ...}} for the status JSON. */
    public Map<String, Map<String, Long>> snapshot() {
        Map<String, Map<String, Long>> snapshot = new LinkedHashMap<>();
        counts.forEach((input, c) -> snapshot.put(input, Map.of("accepted", c[0].get(), "refused", c[1].get())));
        return snapshot;
    }

    private AtomicLong[] slot(String input) {
        AtomicLong[] slot = counts.get(input);
        return slot != null ? slot : firstSeen(input);
    }

    // synchronized with reportTo: an input seen while the metrics are handed over is observed exactly once
    private synchronized AtomicLong[] firstSeen(String input) {
        AtomicLong[] slot = counts.get(input);
        if (slot == null) {
            slot = new AtomicLong[] {new AtomicLong(), new AtomicLong()};
            counts.put(input, slot);
            if (metrics != null) {
                metrics.observeInput(this, input);
            }
        }
        return slot;
    }
}
