package io.iotuplink.publish;

import io.iotuplink.outbox.OutboxDrain;
import io.iotuplink.outbox.OutgoingPublish;
import io.iotuplink.status.PublishStats;
import io.iotuplink.status.UplinkMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.function.Consumer;

/**
 * The first attempt at each publish, made without a Camel exchange: almost every publish is acknowledged at once,
 * and the exchange, its unit of work and the error handler's copy of it cost more than the publish itself. Only a
 * failed one goes on through {@code direct:mqtt-publish}, whose error handler retries it with back-off or makes it a
 * dead letter, counting this attempt as its first.
 */
public final class FirstPublishAttempt implements OutboxDrain.FirstAttempt {

    private static final Logger LOG = LoggerFactory.getLogger(FirstPublishAttempt.class);

    private final AsyncMqttPublisher publisher;
    private final PublishStats stats;
    private final UplinkMetrics metrics;
    private final Clock clock;
    private final boolean gzip;

    public FirstPublishAttempt(AsyncMqttPublisher publisher, PublishStats stats, UplinkMetrics metrics, Clock clock,
            boolean gzip) {
        this.publisher = publisher;
        this.stats = stats;
        this.metrics = metrics;
        this.clock = clock;
        this.gzip = gzip;
    }

    @Override
    public void publish(OutgoingPublish publish, Consumer<Throwable> settled) {
        publisher.publish(publish.topic(), publish.payload(), MqttPublishProperties.forPublish(publish, gzip),
                failure -> {
                    if (failure == null) {
                        published(publish.kind(), publish.messageId(), publish.topic());
                    }
                    settled.accept(failure);
                });
    }

    /** Counts an acknowledged publish, whichever attempt it took. */
    void published(String kind, Object messageId, Object topic) {
        stats.countPublished(clock.millis());
        metrics.publish(kind, "published");
        if (LOG.isDebugEnabled()) {
            LOG.debug("Published {} to {}", messageId, topic);
        }
    }
}
