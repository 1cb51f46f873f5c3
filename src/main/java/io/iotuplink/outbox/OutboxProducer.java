package io.iotuplink.outbox;

import io.iotuplink.config.TimeToLive;
import io.iotuplink.envelope.PreparedReading;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultProducer;

import java.util.List;

/**
 * The durable append: the exchange's readings (one {@link PreparedReading} or a list) are committed to the outbox in
 * one transaction before the exchange goes on, so the input is acknowledged only once they are on disk, each in
 * the lane the header {@link OutboxConstants#LANE} names (unset: its kind's) and with its kind's time to live. A full
 * outbox throws {@link OutboxFullException} to the caller (the HTTP 503, the file left in the inbox).
 */
public class OutboxProducer extends DefaultProducer {

    public OutboxProducer(OutboxEndpoint endpoint) {
        super(endpoint);
    }

    @Override
    public OutboxEndpoint getEndpoint() {
        return (OutboxEndpoint) super.getEndpoint();
    }

    @Override
    public void process(Exchange exchange) {
        OutboxComponent component = getEndpoint().getComponent();
        String lane = exchange.getMessage().getHeader(OutboxConstants.LANE, String.class);
        TimeToLive ttl = component.timeToLive();
        component.store().append(readings(exchange.getMessage().getBody()), lane == null ? null : Lane.named(lane),
                reading -> ttl.expiresAtMillis(reading.reading()));
        component.wakeConsumers();
    }

    private static List<PreparedReading> readings(Object body) {
        if (body instanceof PreparedReading one) {
            return List.of(one);
        }
        if (body instanceof List<?> list && list.stream().allMatch(PreparedReading.class::isInstance)) {
            return list.stream().map(PreparedReading.class::cast).toList();
        }
        throw new IllegalArgumentException("outbox: stores prepared readings (from direct:telemetry, direct:event or"
                + " the inbox), not " + (body == null ? "null" : body.getClass().getSimpleName()));
    }
}
