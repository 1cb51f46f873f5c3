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

    public OutboxDrain(OutboxStore outbox, ConnectionMonitor connection, ProducerTemplate producer,
            PublishShaper shaper) {
        this.outbox = outbox;
        this.connection = connection;
        this.producer = producer;
        this.shaper = shaper;
    }

    /** One tick of the drain: publishes for up to two seconds, then lets the timer come back. */
    public void drain(Exchange tick) {
        long deadline = System.currentTimeMillis() + MAX_TICK_MILLIS;
        while (connection.isConnected() && !tick.getContext().isStopping()
                && System.currentTimeMillis() < deadline) {
            List<StoredReading> batch = outbox.oldest(BATCH);
            if (batch.isEmpty()) {
                return;
            }
            for (StoredReading reading : batch) {
                try {
                    shaper.acquire(reading.envelope().length);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (tick.getContext().isStopping()) {
                    return;
                }
                Exchange result = producer.send("direct:mqtt-publish", e -> e.getMessage().setBody(reading));
                String outcome = result.getProperty(OUTCOME, String.class);
                if (result.getException() != null || !(PUBLISHED.equals(outcome) || DEAD_LETTERED.equals(outcome))) {
                    return;
                }
                outbox.remove(reading);
            }
        }
    }
}
