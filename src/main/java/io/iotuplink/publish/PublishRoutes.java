package io.iotuplink.publish;

import io.iotuplink.config.UplinkConfig;
import io.iotuplink.envelope.InvalidReadingException;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.ReadingIntake;
import io.iotuplink.inputs.InputCounters;
import io.iotuplink.inputs.ReadingRoutesHeaders;
import io.iotuplink.outbox.OutboxConstants;
import io.iotuplink.status.PublishStats;
import io.iotuplink.status.UplinkMetrics;
import org.apache.camel.Exchange;
import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.paho.mqtt5.PahoMqtt5Constants;

import java.time.Clock;
import java.time.Instant;
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

    public PublishRoutes(UplinkConfig config, ReadingIntake intake, PublishStats stats, InputCounters inputs,
            UplinkMetrics metrics, Clock clock) {
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
                .process(e -> e.setProperty("reason", reason(e)))
                .setHeader(Exchange.FILE_NAME, simple("${header." + OutboxConstants.MESSAGE_ID + "}.json"))
                .to(deadLetterUri())
                .setBody(exchangeProperty("reason"))
                .setHeader(Exchange.FILE_NAME, simple("${header." + OutboxConstants.MESSAGE_ID + "}.reason"))
                .to(deadLetterUri())
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

    private String reason(Exchange exchange) {
        Exception cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        return "message_id: " + exchange.getMessage().getHeader(OutboxConstants.MESSAGE_ID) + "\n"
                + "kind: " + exchange.getMessage().getHeader(OutboxConstants.READING_KIND) + "\n"
                + "topic: " + exchange.getMessage().getHeader(PahoMqtt5Constants.CAMEL_PAHO_OVERRIDE_TOPIC) + "\n"
                + "failed_at: " + Instant.ofEpochMilli(clock.millis()) + "\n"
                + "attempts: " + (1 + exchange.getMessage().getHeader(Exchange.REDELIVERY_COUNTER, 0, Integer.class))
                + "\n"
                + "error: " + (cause == null ? "unknown" : cause.getMessage()) + "\n";
    }

    private String deadLetterUri() {
        // readable by the bundle's user only (uplink.file-mode): a dead letter holds a reading as it was sent
        return "file:" + config.deadLetterDir().toAbsolutePath() + "?tempPrefix=.writing-&fileExist=Override"
                + "&chmod=" + config.fileMode().fileOctal() + "&chmodDirectory=" + config.fileMode().directoryOctal();
    }
}
