package io.iotuplink.publish;

import io.iotuplink.config.UplinkConfig;
import io.iotuplink.deadletter.DeadLetters;
import io.iotuplink.envelope.InvalidReadingException;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.ReadingIntake;
import io.iotuplink.inputs.InputCounters;
import io.iotuplink.inputs.ReadingRoutesHeaders;
import io.iotuplink.mqtt.PublishRefusedException;
import io.iotuplink.mqtt.UnsupportedQosException;
import io.iotuplink.outbox.OutboxConstants;
import io.iotuplink.outbox.ReadingSetAsideException;
import io.iotuplink.outbox.StoredReading;
import io.iotuplink.status.PublishStats;
import io.iotuplink.status.UplinkMetrics;
import org.apache.camel.Exchange;
import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.util.ObjectHelper;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

/**
 * The core data path around the publish route ({@code routes/publish.camel.yaml}): {@code direct:telemetry} and
 * {@code direct:event} turn a record into an envelope, {@code direct:publish} commits it to {@code outbox:uplink}
 * (the input's acknowledgement), and {@code direct:dead-letter} takes what the publish route could not publish:
 * the broker's lasting refusal becomes a file in the dead-letter directory, anything else fails again, so the
 * reading stays in the outbox.
 */
public final class PublishRoutes extends RouteBuilder {

    /** Header naming the event on {@code direct:event} when the body holds only the metadata. */
    public static final String EVENT_NAME = "UplinkEventName";
    /** Exchange property the dead-letter route sets on a reading it wrote to the dead-letter directory. */
    public static final String DEAD_LETTERED = OutboxConstants.DEAD_LETTERED;
    /** The outbox every reading goes through. */
    public static final String OUTBOX = "outbox:uplink";

    private final UplinkConfig config;
    private final ReadingIntake intake;
    private final PublishStats stats;
    private final InputCounters inputs;
    private final UplinkMetrics metrics;
    private final Clock clock;
    private final DeadLetters deadLetters;

    public PublishRoutes(UplinkConfig config, ReadingIntake intake, PublishStats stats, InputCounters inputs,
            UplinkMetrics metrics, Clock clock, DeadLetters deadLetters) {
        this.deadLetters = deadLetters;
        this.config = config;
        this.intake = intake;
        this.stats = stats;
        this.inputs = inputs;
        this.metrics = metrics;
        this.clock = clock;
    }

    @Override
    public void configure() {
        from("direct:telemetry").routeId("uplink-telemetry")
                .process(e -> counted(e, () -> intake.telemetry(e.getMessage().getBody())))
                .to("direct:publish");

        from("direct:event").routeId("uplink-event")
                .process(e -> counted(e, () -> {
                    String name = e.getMessage().getHeader(EVENT_NAME, String.class);
                    Object body = e.getMessage().getBody();
                    return name == null ? intake.eventRecord(body) : intake.event(name, body);
                }))
                .to("direct:publish");

        // no error handler of its own: the caller's (the HTTP 503, the file left in place) sees OutboxFullException
        from("direct:publish").routeId("uplink-accept")
                .errorHandler(noErrorHandler())
                .to(OUTBOX);

        from("direct:dead-letter").routeId("uplink-dead-letter")
                .errorHandler(noErrorHandler())
                .choice()
                    .when(e -> !PublishRetryPolicy.refusedForGood(e))
                        // failing here fails the publish route's exchange: the outbox keeps the reading
                        .process(e -> {
                            throw e.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
                        })
                .end()
                .log(LoggingLevel.ERROR, "Reading ${header." + OutboxConstants.MESSAGE_ID + "} (${header."
                        + OutboxConstants.READING_KIND + "}) was not published and is kept in "
                        + config.deadLetterDir() + "/${header." + OutboxConstants.MESSAGE_ID + "}.json:"
                        + " ${exception.message}")
                .process(this::writeDeadLetters)
                // counted once it is on disk: a write that fails fails the exchange, and the reading stays
                .setProperty(DEAD_LETTERED, constant(true))
                .process(e -> {
                    stats.countFailed();
                    metrics.publish(e.getMessage().getHeader(OutboxConstants.READING_KIND, String.class),
                            "dead_lettered");
                });
    }

    /** Prepares the reading, counting it under the input that sent it ({@code routes} when none says). */
    private void counted(Exchange exchange, Supplier<PreparedReading> prepare) {
        String input = exchange.getMessage().getHeader(ReadingRoutesHeaders.INPUT, "routes", String.class);
        try {
            exchange.getMessage().setBody(prepare.get());
            inputs.accepted(input, 1);
        } catch (InvalidReadingException e) {
            inputs.refused(input, 1);
            throw e;
        }
    }

    /**
     * One dead letter per reading, named by its own message_id and holding its own envelope as stored (not the
     * batch's or gzip's payload); a write that fails throws, so the reading stays in the outbox.
     */
    @SuppressWarnings("unchecked")
    private void writeDeadLetters(Exchange exchange) throws java.io.IOException {
        Exception cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        List<StoredReading> readings = exchange.getProperty(OutboxConstants.STORED_READINGS, List.class);
        if (readings == null) {
            throw new IllegalStateException("the exchange of " + exchange.getMessage().getHeader(
                    OutboxConstants.MESSAGE_ID) + " does not carry its readings (not from outbox:uplink)", cause);
        }
        int inExchange = exchange.getMessage().getHeader(OutboxConstants.READINGS, 1, Integer.class);
        deadLetters.write(readings, reasonCode(cause), cause == null ? "unknown" : cause.getMessage(),
                1 + exchange.getMessage().getHeader(Exchange.REDELIVERY_COUNTER, 0, Integer.class),
                inExchange > 1 ? exchange.getMessage().getHeader(OutboxConstants.MESSAGE_ID, String.class) : null,
                Instant.ofEpochMilli(clock.millis()));
    }

    /** The broker's reason code ({@code 0x87}), or what refused the publish when no broker did. */
    private static String reasonCode(Exception cause) {
        PublishRefusedException refused = ObjectHelper.getException(PublishRefusedException.class, cause);
        if (refused != null) {
            return String.format("0x%02X", refused.reasonCode());
        }
        if (ObjectHelper.getException(ReadingSetAsideException.class, cause) != null) {
            return "set-aside";
        }
        return ObjectHelper.getException(UnsupportedQosException.class, cause) != null ? "qos" : "unknown";
    }

}
