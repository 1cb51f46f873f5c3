package io.iotuplink.publish;

import io.iotuplink.config.UplinkConfig;
import io.iotuplink.deadletter.DeadLetters;
import io.iotuplink.envelope.InvalidReadingException;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.ReadingIntake;
import io.iotuplink.inputs.InputCounters;
import io.iotuplink.inputs.ReadingRoutesHeaders;
import io.iotuplink.logging.RepeatedProblem;
import io.iotuplink.mqtt.PublishRefusedException;
import io.iotuplink.mqtt.UnsupportedQosException;
import io.iotuplink.outbox.OutboxConstants;
import io.iotuplink.outbox.ReadingSetAsideException;
import io.iotuplink.outbox.StoredReading;
import io.iotuplink.status.PublishStats;
import io.iotuplink.status.UplinkMetrics;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.util.ObjectHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.function.LongSupplier;
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

    private static final Logger LOG = LoggerFactory.getLogger(PublishRoutes.class);
    /** How much of a refused record its log line shows. */
    private static final int LOGGED_CHARS = 200;


    private final UplinkConfig config;
    private final ReadingIntake intake;
    private final PublishStats stats;
    private final InputCounters inputs;
    private final UplinkMetrics metrics;
    private final Clock clock;
    private final DeadLetters deadLetters;
    private final RepeatedProblem refusedRecords;
    private final RepeatedProblem deadLettersLog;

    public PublishRoutes(UplinkConfig config, ReadingIntake intake, PublishStats stats, InputCounters inputs,
            UplinkMetrics metrics, Clock clock, DeadLetters deadLetters) {
        this(config, intake, stats, inputs, metrics, clock, deadLetters, System::nanoTime);
    }

    /** {@code nanos}: monotonic time, for the summaries of refused records and dead letters. */
    public PublishRoutes(UplinkConfig config, ReadingIntake intake, PublishStats stats, InputCounters inputs,
            UplinkMetrics metrics, Clock clock, DeadLetters deadLetters, LongSupplier nanos) {
        this.deadLetters = deadLetters;
        this.refusedRecords = RepeatedProblem.warn(LOG, "Records refused", nanos);
        this.deadLettersLog = RepeatedProblem.error(LOG, "Readings dead-lettered", nanos);
        this.config = config;
        this.intake = intake;
        this.stats = stats;
        this.inputs = inputs;
        this.metrics = metrics;
        this.clock = clock;
    }

    @Override
    public void configure() {
        refusalsEndHere(from("direct:telemetry").routeId("uplink-telemetry"))
                .process(e -> counted(e, "direct:telemetry", () -> intake.telemetry(e.getMessage().getBody())))
                .to("direct:publish");

        refusalsEndHere(from("direct:event").routeId("uplink-event"))
                .process(e -> counted(e, "direct:event", () -> {
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
                .process(this::logDeadLetter)
                .process(this::writeDeadLetters)
                // counted once it is on disk: a write that fails fails the exchange, and the reading stays
                .setProperty(DEAD_LETTERED, constant(true))
                .process(e -> {
                    stats.countFailed();
                    metrics.publish(e.getMessage().getHeader(OutboxConstants.READING_KIND, String.class),
                            "dead_lettered");
                });
    }

    /**
     * A record refused here is said once (then counted in a summary a minute) and ends the caller's exchange as a
     * {@code stop} would: no retry could make it valid, and Camel's error handler and the caller's consumer (a
     * timer's WARN with a stack trace per record) would otherwise log it again for every record. Anything else
     * (the outbox full, its disk full) fails the caller's exchange as before (its onException sees it), without
     * Camel's ERROR and stack trace here for each one.
     */
    private static RouteDefinition refusalsEndHere(RouteDefinition route) {
        route.onException(InvalidReadingException.class).handled(true)
                .process(e -> e.setRouteStop(true))
                .end();
        route.onException(Exception.class).handled(false).logExhausted(false).logStackTrace(false)
                .logRetryAttempted(false).end();
        return route;
    }

    /** Prepares the reading, counting it under the input that sent it ({@code routes} when none says). */
    private void counted(Exchange exchange, String endpoint, Supplier<PreparedReading> prepare) {
        String input = exchange.getMessage().getHeader(ReadingRoutesHeaders.INPUT, "routes", String.class);
        Object record = exchange.getMessage().getBody();
        try {
            exchange.getMessage().setBody(prepare.get());
            inputs.accepted(input, 1);
        } catch (InvalidReadingException e) {
            inputs.refused(input, 1);
            refusedRecords.report(input + " " + e.problem(), "{} (route {}): record refused on {}: {}; it is"
                    + " dropped and counted in inputs.{}.refused. The record: {}", input, exchange.getFromRouteId(),
                    endpoint, e.getMessage(), input, shortened(record));
            throw e;
        }
    }

    private static String shortened(Object record) {
        String text = record instanceof byte[] bytes ? new String(bytes, java.nio.charset.StandardCharsets.UTF_8)
                : String.valueOf(record);
        return text.length() > LOGGED_CHARS ? text.substring(0, LOGGED_CHARS) + "..." : text;
    }

    /** One lasting refusal per reason in detail, then a summary a minute. */
    private void logDeadLetter(Exchange exchange) {
        Exception cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        String error = cause == null ? "unknown" : cause.getMessage();
        String id = exchange.getMessage().getHeader(OutboxConstants.MESSAGE_ID, String.class);
        PublishRefusedException refused = ObjectHelper.getException(PublishRefusedException.class, cause);
        String key = refused != null ? "PUBACK " + refused.reasonCode()
                : cause == null ? "unknown" : cause.getClass().getName();
        deadLettersLog.report(key,
                "Reading {} ({}) was not published and is kept in {}/{}.json: {}", id,
                exchange.getMessage().getHeader(OutboxConstants.READING_KIND), config.deadLetterDir(), id, error);
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
