package io.iotuplink.inputs.command;

import io.iotuplink.inputs.InputCounters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Commands that arrive faster than they run: counts those dropped unanswered (under the {@code command} input's
 * refused records) and logs one WARN per burst, a burst ending after {@link #QUIET_NANOS} without an overflow.
 */
final class CommandOverflow {

    private static final Logger LOG = LoggerFactory.getLogger(CommandOverflow.class);
    static final long QUIET_NANOS = 10_000_000_000L;

    private final InputCounters inputs;
    private final int concurrency;
    private final int queueSize;
    private final LongSupplier nanoTime;
    private final AtomicLong lastOverflow = new AtomicLong();
    private volatile boolean overflowed;

    CommandOverflow(InputCounters inputs, int concurrency, int queueSize, LongSupplier nanoTime) {
        this.inputs = inputs;
        this.concurrency = concurrency;
        this.queueSize = queueSize;
        this.nanoTime = nanoTime;
    }

    /** A command found the run queue full: it is answered {@code busy}. */
    void busy() {
        if (burstStarts()) {
            LOG.warn("Commands arrive faster than they run: {} wait and {} run at a time, so the next ones are"
                    + " answered 'busy' (send them again later); past {} busy answers waiting, commands are dropped"
                    + " unanswered and counted in inputs.command.refused (uplink.commands.concurrency,"
                    + " uplink.commands.queue-size)", queueSize, concurrency, queueSize);
        }
    }

    /** A command (or its answer) was dropped unanswered. */
    void dropped(String why) {
        inputs.refused(CommandRoutes.INPUT, 1);
        if (burstStarts()) {
            LOG.warn("A command was dropped unanswered: {}; those that follow in this burst are dropped without a"
                    + " log line, counted in inputs.command.refused ({} so far)", why,
                    inputs.refused(CommandRoutes.INPUT));
        }
    }

    private boolean burstStarts() {
        long now = nanoTime.getAsLong();
        long last = lastOverflow.getAndSet(now);
        boolean starts = !overflowed || now - last > QUIET_NANOS;
        overflowed = true;
        return starts;
    }
}
