package io.iotuplink.outbox;

import io.iotuplink.connection.ConnectionMonitor;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;

import java.util.List;

/**
 * Sends what the outbox holds, oldest first, through {@code direct:mqtt-publish} while the connection is up, and
 * removes each reading once it is acknowledged (or kept as a dead letter). A reading that could not be sent stays,
 * and the next tick starts again from it, so order is kept and nothing is skipped.
 */
public final class OutboxDrain {

    /** Exchange property the publish routes set to say what became of a reading. */
    public static final String OUTCOME = "uplinkOutcome";
    public static final String PUBLISHED = "published";
    public static final String DEAD_LETTERED = "dead-lettered";
    public static final String KEPT = "kept";

    private static final int BATCH = 100;
    private static final long MAX_TICK_MILLIS = 2_000;

    private final OutboxStore outbox;
    private final ConnectionMonitor connection;
    private final ProducerTemplate producer;
    private final PublishShaper shaper;
    private final int batchSize;
    private final long batchDelayMillis;
    private final BatchEnvelope batches;

    /**
     * @param batchSize  telemetry readings per publish (1: no batching)
     * @param batchDelay how long a batch that is not full may wait for more readings
     */
    public OutboxDrain(OutboxStore outbox, ConnectionMonitor connection, ProducerTemplate producer,
            PublishShaper shaper, int batchSize, java.time.Duration batchDelay, BatchEnvelope batches) {
        this.outbox = outbox;
        this.connection = connection;
        this.producer = producer;
        this.shaper = shaper;
        this.batchSize = batchSize;
        this.batchDelayMillis = batchDelay.toMillis();
        this.batches = batches;
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

    /** Publishes one reading or batch, within the quotas; whether it left the outbox's hands. */
    private boolean send(Exchange tick, Object body, int bytes) {
        try {
            shaper.acquire(bytes);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        if (tick.getContext().isStopping()) {
            return false;
        }
        Exchange result = producer.send("direct:mqtt-publish", e -> e.getMessage().setBody(body));
        String outcome = result.getProperty(OUTCOME, String.class);
        return result.getException() == null && (PUBLISHED.equals(outcome) || DEAD_LETTERED.equals(outcome));
    }

    /** One tick of the drain: publishes for up to two seconds, then lets the timer come back. */
    public void drain(Exchange tick) {
        long deadline = System.currentTimeMillis() + MAX_TICK_MILLIS;
        while (connection.isConnected() && !tick.getContext().isStopping()
                && System.currentTimeMillis() < deadline) {
            List<StoredReading> oldest = outbox.oldest(Math.max(BATCH, batchSize));
            if (oldest.isEmpty()) {
                return;
            }
            int i = 0;
            while (i < oldest.size()) {
                List<StoredReading> group = telemetryRun(oldest, i);
                if (!group.isEmpty()) {
                    if (group.size() < batchSize && System.currentTimeMillis() - group.get(0).acceptedAtMillis()
                            < batchDelayMillis && i + group.size() == oldest.size()) {
                        return; // not full yet, and there is time to wait for more
                    }
                    BatchEnvelope.Batch batch = batches.write(group);
                    if (!send(tick, batch, batch.envelope().length)) {
                        return;
                    }
                    batch.readings().forEach(outbox::remove);
                    i += batch.readings().size();
                } else {
                    StoredReading reading = oldest.get(i);
                    if (!send(tick, reading, reading.envelope().length)) {
                        return;
                    }
                    outbox.remove(reading);
                    i++;
                }
            }
        }
    }
}
