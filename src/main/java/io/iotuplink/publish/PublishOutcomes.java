package io.iotuplink.publish;

import io.iotuplink.outbox.OutboxConstants;
import io.iotuplink.outbox.OutboxListener;
import io.iotuplink.status.PublishStats;
import io.iotuplink.status.UplinkMetrics;
import org.apache.camel.Exchange;

import java.time.Clock;

/**
 * Counts what became of each publish the outbox handed out: {@code published} (its PUBACK accepted it),
 * {@code kept} (it failed and waits in the outbox); dead letters are counted by the dead-letter route.
 */
public final class PublishOutcomes implements OutboxListener {

    private final PublishStats stats;
    private final UplinkMetrics metrics;
    private final Clock clock;

    public PublishOutcomes(PublishStats stats, UplinkMetrics metrics, Clock clock) {
        this.stats = stats;
        this.metrics = metrics;
        this.clock = clock;
    }

    @Override
    public void completed(Exchange exchange, int readings) {
        // a dead letter completes the exchange too (the property survives; the caught exception would also stay
        // after a retry that succeeded)
        if (!exchange.getProperty(PublishRoutes.DEAD_LETTERED, false, Boolean.class)) {
            stats.countPublished(clock.millis());
            metrics.publish(kind(exchange), "published");
        }
    }

    @Override
    public void kept(Exchange exchange, int readings, Exception cause) {
        metrics.publish(kind(exchange), "kept");
    }

    private static String kind(Exchange exchange) {
        return exchange.getMessage().getHeader(OutboxConstants.READING_KIND, "telemetry", String.class);
    }
}
