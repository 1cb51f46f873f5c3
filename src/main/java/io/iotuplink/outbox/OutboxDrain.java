package io.iotuplink.outbox;

import io.iotuplink.connection.ConnectionMonitor;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Sends what the outbox holds, oldest first, while the connection is up, on a thread of its own
 * ({@code uplink-outbox}): each publish's {@link FirstAttempt} returns once Paho has queued it and is settled when
 * its PUBACK arrives, so up to the {@link InflightWindow}'s worth await their PUBACK at once, in the outbox's order
 * on the wire. A publish whose first attempt failed goes on through {@code direct:mqtt-publish}, whose error handler
 * retries it with back-off or makes it a dead letter. Each reading leaves the outbox only after its own PUBACK (or
 * as a dead letter). When one could not be sent, the drain lets the others settle and starts again from the oldest
 * reading still stored, so nothing is skipped.
 */
public final class OutboxDrain extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxDrain.class);

    /**
     * The first attempt at a publish, outside any route: {@code settled} gets null once its PUBACK accepts it, else
     * the failure, once, on whichever thread learnt of it; it must not block.
     */
    @FunctionalInterface
    public interface FirstAttempt {
        void publish(OutgoingPublish publish, Consumer<Throwable> settled);
    }

    /**
     * Exchange property holding why the first attempt failed, for {@code direct:mqtt-publish} to take as the failure
     * of its first delivery (and so retry, or dead-letter, as if it had made that attempt itself).
     */
    public static final String FIRST_FAILURE = "uplinkFirstFailure";
    /** Exchange property the publish routes set to say what became of a reading. */
    public static final String OUTCOME = "uplinkOutcome";
    public static final String PUBLISHED = "published";
    public static final String DEAD_LETTERED = "dead-lettered";
    public static final String KEPT = "kept";

    private static final int READ_AHEAD = 200;
    private static final long IDLE_MILLIS = 100;
    private static final long SLOT_WAIT_MILLIS = 200;
    private static final long REMOVAL_PERIOD_NANOS = 50_000_000;

    private final OutboxStore outbox;
    private final ConnectionMonitor connection;
    private final PublishShaper shaper;
    private final InflightWindow window;
    private final UnaryOperator<byte[]> encode;
    private final int batchSize;
    private final long batchDelayMillis;
    private final BatchEnvelope batches;
    private final FirstAttempt firstAttempt;

    /** The newest reading handed out (drain thread only); 0 starts again from the oldest. */
    private long cursor;
    private volatile boolean rewind;
    private final Queue<StoredReading> acknowledged = new ConcurrentLinkedQueue<>();
    private final ReentrantLock removing = new ReentrantLock();
    private final AtomicBoolean removalQueued = new AtomicBoolean();
    private volatile long lastRemovalNanos;
    private ExecutorService remover;
    private final CamelContext context;
    private AsyncProducer publishRoute;
    private ExecutorService thread;
    private final Object wake = new Object();
    private boolean woken;

    /**
     * @param encode     turns an envelope into the payload on the wire (gzip, or as it is)
     * @param batchSize  telemetry readings per publish (1: no batching)
     * @param batchDelay how long a batch that is not full may wait for more readings
     */
    public OutboxDrain(CamelContext context, OutboxStore outbox, ConnectionMonitor connection, PublishShaper shaper,
            InflightWindow window, UnaryOperator<byte[]> encode, int batchSize, Duration batchDelay,
            BatchEnvelope batches, FirstAttempt firstAttempt) {
        this.context = context;
        this.firstAttempt = firstAttempt;
        this.outbox = outbox;
        this.connection = connection;
        this.shaper = shaper;
        this.window = window;
        this.encode = encode;
        this.batchSize = batchSize;
        this.batchDelayMillis = batchDelay.toMillis();
        this.batches = batches;
    }

    @Override
    protected void doStart() throws Exception {
        publishRoute = context.getEndpoint("direct:mqtt-publish").createAsyncProducer();
        ServiceHelper.startService(publishRoute);
        remover = context.getExecutorServiceManager().newSingleThreadExecutor(this, "uplink-outbox-removal");
        thread = context.getExecutorServiceManager().newSingleThreadExecutor(this, "uplink-outbox");
        thread.execute(this::run);
    }

    @Override
    protected void doStop() throws Exception {
        wakeUp();
        context.getExecutorServiceManager().shutdownGraceful(thread);
        // the publishes awaiting their PUBACK are no route's exchanges, which Camel's shutdown would wait for: they
        // settle here (PUBACK, failure or publish timeout), before the connection closes, and leave the outbox
        if (!window.awaitEmpty(context.getShutdownStrategy().getTimeUnit()
                .toMillis(context.getShutdownStrategy().getTimeout()))) {
            LOG.warn("{} publish(es) still await their PUBACK; their readings stay in the outbox and will be sent"
                    + " again", window.inFlight());
        }
        removeAcknowledged();
        context.getExecutorServiceManager().shutdownGraceful(remover);
        ServiceHelper.stopService(publishRoute);
    }

    /** Tells the drain there is something new to send (it also looks every 100 ms). */
    public void wakeUp() {
        synchronized (wake) {
            woken = true;
            wake.notifyAll();
        }
    }

    private void run() {
        while (isRunAllowed() && !isStopping()) {
            try {
                drain();
                synchronized (wake) {
                    if (!woken) {
                        wake.wait(IDLE_MILLIS);
                    }
                    woken = false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.warn("The outbox drain tries again in a moment: {}", e.toString());
                sleepQuietly();
            }
        }
        removeAcknowledged();
    }

    private static void sleepQuietly() {
        try {
            TimeUnit.MILLISECONDS.sleep(IDLE_MILLIS * 10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Publishes while there is something to send and a way to send it. */
    private void drain() throws InterruptedException {
        try {
            drainAll();
        } finally {
            removeAcknowledged();
        }
    }

    private void drainAll() throws InterruptedException {
        while (sending()) {
            if (rewind) {
                // what failed is still stored: once the others are settled, start again from the oldest
                if (!window.awaitEmpty(SLOT_WAIT_MILLIS)) {
                    continue;
                }
                removeAcknowledged();
                rewind = false;
                cursor = 0;
            }
            List<StoredReading> next = outbox.after(cursor, Math.max(READ_AHEAD, batchSize));
            if (next.isEmpty()) {
                return;
            }
            int i = 0;
            while (i < next.size()) {
                if (rewind || !sending()) {
                    break;
                }
                List<StoredReading> group = telemetryRun(next, i);
                if (!group.isEmpty()) {
                    if (group.size() < batchSize && System.currentTimeMillis() - group.get(0).acceptedAtMillis()
                            < batchDelayMillis && i + group.size() == next.size()) {
                        return; // not full yet, and there is time to wait for more
                    }
                    BatchEnvelope.Batch batch = batches.write(group);
                    OutgoingPublish publish = new OutgoingPublish(batch.messageId(), "telemetry",
                            group.get(0).topic(), encode.apply(batch.envelope()), batch.readings().size());
                    if (!dispatch(publish, batch.readings())) {
                        return;
                    }
                    i += batch.readings().size();
                } else {
                    StoredReading reading = next.get(i);
                    OutgoingPublish publish = new OutgoingPublish(reading.messageId(), reading.kind(),
                            reading.topic(), encode.apply(reading.envelope()), 0);
                    if (!dispatch(publish, List.of(reading))) {
                        return;
                    }
                    i++;
                }
            }
        }
    }

    private boolean sending() {
        return connection.isConnected() && !context.isStopping() && isRunAllowed() && !isStopping();
    }

    /** The telemetry readings from {@code start} on, up to the batch size (empty when batching is off). */
    private List<StoredReading> telemetryRun(List<StoredReading> readings, int start) {
        if (batchSize <= 1) {
            return List.of();
        }
        int end = start;
        while (end < readings.size() && end - start < batchSize && "telemetry".equals(readings.get(end).kind())) {
            end++;
        }
        return readings.subList(start, end);
    }

    /**
     * Starts one publish within the window and the quotas, and returns once Paho has queued it (so the next one
     * follows it on the wire); false when it could not start, and the drain should come back later.
     */
    private boolean dispatch(OutgoingPublish publish, List<StoredReading> readings)
            throws InterruptedException {
        if (System.nanoTime() - lastRemovalNanos > REMOVAL_PERIOD_NANOS && removalQueued.compareAndSet(false, true)) {
            // on a thread of its own: the drain keeps the window full while a removal waits for the database
            remover.execute(() -> {
                try {
                    removeAcknowledged();
                } finally {
                    removalQueued.set(false);
                }
            });
        }
        if (!window.acquire(SLOT_WAIT_MILLIS)) {
            return false;
        }
        try {
            shaper.acquire(publish.payload().length);
        } catch (InterruptedException e) {
            window.release();
            throw e;
        }
        if (!sending()) {
            window.release();
            return false;
        }
        cursor = readings.get(readings.size() - 1).seq();
        firstAttempt.publish(publish, failure -> {
            if (failure == null) {
                acknowledged(readings);
            } else {
                retry(publish, readings, failure);
            }
        });
        return true;
    }

    private void acknowledged(List<StoredReading> readings) {
        try {
            acknowledged.addAll(readings);
        } finally {
            window.release();
        }
    }

    /** A failed first attempt goes on through {@code direct:mqtt-publish}, keeping its slot in the window. */
    private void retry(OutgoingPublish publish, List<StoredReading> readings, Throwable failure) {
        Exchange exchange = publishRoute.getEndpoint().createExchange();
        exchange.getMessage().setBody(publish);
        exchange.setProperty(FIRST_FAILURE, new AtomicReference<>(failure));
        publishRoute.process(exchange, doneSync -> settle(exchange, readings));
    }

    /** When a retried publish is settled (on Paho's callback thread, or the error handler's): keep the outcome. */
    private void settle(Exchange result, List<StoredReading> readings) {
        try {
            String outcome = result.getProperty(OUTCOME, String.class);
            if (result.getException() == null && (PUBLISHED.equals(outcome) || DEAD_LETTERED.equals(outcome))) {
                acknowledged.addAll(readings);
            } else {
                rewind = true;
            }
        } finally {
            window.release();
        }
    }

    /**
     * Removes what is acknowledged so far in one transaction; returns once every removal started before it is done
     * (a rewind reads the outbox again right after).
     */
    private void removeAcknowledged() {
        removing.lock();
        try {
            lastRemovalNanos = System.nanoTime();
            List<StoredReading> done = new ArrayList<>();
            for (StoredReading reading; (reading = acknowledged.poll()) != null; ) {
                done.add(reading);
            }
            if (!done.isEmpty()) {
                outbox.removeAll(done);
            }
        } catch (RuntimeException e) {
            LOG.warn("Acknowledged readings stay in the outbox and will be sent again: {}", e.getMessage());
            rewind = true;
        } finally {
            removing.unlock();
        }
    }

    /** Publishes awaiting their PUBACK now. */
    public int inFlight() {
        return window.inFlight();
    }
}
