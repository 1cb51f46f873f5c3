package io.iotuplink.inputs;

import io.iotuplink.status.UplinkMetrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/** How many records each input (file, http, serial, timer, command, or a user's route) accepted and refused. */
public final class InputCounters {

    private final Map<String, AtomicLong[]> counts = new ConcurrentSkipListMap<>();
    private volatile UplinkMetrics metrics;

    /** Also counts into these metrics from now on. */
    public void reportTo(UplinkMetrics metrics) {
        this.metrics = metrics;
    }

    public void accepted(String input, long n) {
        slot(input)[0].addAndGet(n);
        if (metrics != null) {
            metrics.input(input, "accepted", n);
        }
    }

    public void refused(String input, long n) {
        slot(input)[1].addAndGet(n);
        if (metrics != null) {
            metrics.input(input, "refused", n);
        }
    }

    public long accepted(String input) {
        return slot(input)[0].get();
    }

    public long refused(String input) {
        return slot(input)[1].get();
    }

    /** {@code {"file": {"accepted": 3, "refused": 1}, ...}} for the status JSON. */
    public Map<String, Map<String, Long>> snapshot() {
        Map<String, Map<String, Long>> snapshot = new LinkedHashMap<>();
        counts.forEach((input, c) -> snapshot.put(input, Map.of("accepted", c[0].get(), "refused", c[1].get())));
        return snapshot;
    }

    private AtomicLong[] slot(String input) {
        return counts.computeIfAbsent(input, k -> new AtomicLong[] {new AtomicLong(), new AtomicLong()});
    }
}
