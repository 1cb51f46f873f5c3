package io.iotuplink.outbox;

import io.iotuplink.connection.ConnectionMonitor;
import io.iotuplink.mqtt.PublishHandoff;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * Sends what the outbox holds, oldest first, through {@code direct:mqtt-publish} while the connection is up: up to
 * the {@link InflightWindow}'s worth of publishes await their PUBACK at once, each on a thread of its own, and
 * each reading leaves the outbox only on its own PUBACK (or as a dead letter). Publishes reach Paho in the
 * outbox's order. When one could not be sent, the drain lets the others settle and starts again from the oldest
 * reading still stored, so nothing is skipped.
 */
public final class OutboxDrain {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxDrain.class);

    /** Exchange property the publish routes set to say what became of a reading. */
    public static final String OUTCOME = "uplinkOutcome";
    public static final String PUBLISHED = "published";
    public static final String DEAD_LETTERED = "dead-lettered";
    public static final String KEPT = "kept";

    private static final int READ_AHEAD = 200;
    private static final long MAX_TICK_MILLIS = 2_000;
    private static final long SLOT_WAIT_MILLIS = 200;

    private final OutboxStore outbox;
    private final ConnectionMonitor connection;
    private final ProducerTemplate producer;
    private final PublishShaper shaper;
    private final InflightWindow window;
    private final ExecutorService publishers;
    private final UnaryOperator<byte[]> encode;
    private final int batchSize;
    private final long batchDelayMillis;
    private final BatchEnvelope batches;
    private final long handoffTimeoutMillis;

    /** The newest reading handed out (drain thread only); 0 starts again from the oldest. */
    private long cursor;
    private volatile boolean rewind;
    private final Queue<StoredReading> acknowledged = new ConcurrentLinkedQueue<>();
    private final ReentrantLock removing = new ReentrantLock();

    /**
     * @param publishers runs each publish until it is settled; as many threads as the window allows
     * @param encode     turns an envelope into the payload on the wire (gzip, or as it is)
     * @param batchSize  telemetry readings per publish (1: no batching)
     * @param batchDelay how long a batch that is not full may wait for more readings
     * @param handoffTimeout the longest wait for Paho to take a publish (the publish timeout)
     */
    public OutboxDrain(OutboxStore outbox, ConnectionMonitor connection, ProducerTemplate producer,
            PublishShaper shaper, InflightWindow window, ExecutorService publishers, UnaryOperator<byte[]> encode,
            int batchSize, Duration batchDelay, BatchEnvelope batches, Duration handoffTimeout) {
        this.outbox = outbox;
        this.connection = connection;
        this.producer = producer;
        this.shaper = shaper;
        this.window = window;
        this.publishers = publishers;
        this.encode = encode;
        this.batchSize = batchSize;
        this.batchDelayMillis = batchDelay.toMillis();
        this.batches = batches;
        this.handoffTimeoutMillis = handoffTimeout.toMillis();
    }

    /** One tick of the drain: publishes for up to two seconds, then lets the timer come back. */
    public void drain(Exchange tick) throws InterruptedException {
        long deadline = System.currentTimeMillis() + MAX_TICK_MILLIS;
        while (sending(tick) && System.currentTimeMillis() < deadline) {
            if (rewind) {
                // what failed is still stored: once the others are settled, start again from the oldest
                if (!window.awaitEmpty(SLOT_WAIT_MILLIS)) {
                    continue;
                }
                rewind = false;
                cursor = 0;
            }
            List<StoredReading> next = outbox.after(cursor, Math.max(READ_AHEAD, batchSize));
            if (next.isEmpty()) {
                return;
            }
            int i = 0;
            while (i < next.size()) {
                if (rewind || !sending(tick)) {
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
                    if (!dispatch(tick, publish, batch.readings())) {
                        return;
                    }
                    i += batch.readings().size();
                } else {
                    StoredReading reading = next.get(i);
                    OutgoingPublish publish = new OutgoingPublish(reading.messageId(), reading.kind(),
                            reading.topic(), encode.apply(reading.envelope()), 0);
                    if (!dispatch(tick, publish, List.of(reading))) {
                        return;
                    }
                    i++;
                }
            }
        }
    }

    private boolean sending(Exchange tick) {
        return connection.isConnected() && !tick.getContext().isStopping();
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
    private boolean dispatch(Exchange tick, OutgoingPublish publish, List<StoredReading> readings)
            throws InterruptedException {
        if (!window.acquire(SLOT_WAIT_MILLIS)) {
            return false;
        }
        try {
            shaper.acquire(publish.payload().length);
        } catch (InterruptedException e) {
            window.release();
            throw e;
        }
        if (!sending(tick)) {
            window.release();
            return false;
        }
        CountDownLatch queued = new CountDownLatch(1);
        try {
            publishers.execute(() -> publish(publish, readings, queued));
        } catch (RejectedExecutionException e) {
            window.release();
            return false; // stopping
        }
        cursor = readings.get(readings.size() - 1).seq();
        queued.await(handoffTimeoutMillis, TimeUnit.MILLISECONDS);
        return true;
    }

    /** On a publisher thread: sends through the route (retries and all) and settles the outcome. */
    private void publish(OutgoingPublish publish, List<StoredReading> readings, CountDownLatch queued) {
        Exchange result = null;
        try {
            result = PublishHandoff.around(queued::countDown,
                    () -> producer.send("direct:mqtt-publish", e -> e.getMessage().setBody(publish)));
        } catch (RuntimeException e) {
            LOG.warn("Publish {} did not run: {}", publish.messageId(), e.toString());
        } finally {
            queued.countDown();
            settle(result, readings);
        }
    }

    private void settle(Exchange result, List<StoredReading> readings) {
        try {
            String outcome = result == null ? null : result.getProperty(OUTCOME, String.class);
            if (result != null && result.getException() == null
                    && (PUBLISHED.equals(outcome) || DEAD_LETTERED.equals(outcome))) {
                acknowledged.addAll(readings);
                removeAcknowledged();
            } else {
                rewind = true;
            }
        } catch (RuntimeException e) {
            LOG.warn("Acknowledged readings stay in the outbox and will be sent again: {}", e.getMessage());
            rewind = true;
        } finally {
            window.release();
        }
    }

    /**
     * Removes what is acknowledged, many readings per transaction: one thread at a time commits everything
     * acknowledged so far, the others leave theirs to it.
     */
    private void removeAcknowledged() {
        while (!acknowledged.isEmpty() && removing.tryLock()) {
            try {
                List<StoredReading> done = new ArrayList<>();
                for (StoredReading reading; (reading = acknowledged.poll()) != null; ) {
                    done.add(reading);
                }
                if (!done.isEmpty()) {
                    outbox.removeAll(done);
                }
            } finally {
                removing.unlock();
            }
        }
    }

    /** Publishes awaiting their PUBACK now. */
    public int inFlight() {
        return window.inFlight();
    }
}
