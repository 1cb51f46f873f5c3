package io.iotuplink.publish;

import io.iotuplink.config.Backoff;
import io.iotuplink.config.UplinkConfig;
import io.iotuplink.envelope.InvalidReadingException;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.ReadingIntake;
import io.iotuplink.inputs.InputCounters;
import io.iotuplink.inputs.ReadingRoutesHeaders;
import io.iotuplink.mqtt.PublishRefusedException;
import io.iotuplink.outbox.OutboxDrain;
import io.iotuplink.outbox.OutboxStore;
import io.iotuplink.outbox.OutgoingPublish;
import io.iotuplink.status.PublishStats;
import io.iotuplink.status.UplinkMetrics;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.DeadLetterChannelBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.paho.mqtt5.PahoMqtt5Constants;
import org.apache.camel.support.AsyncProcessorSupport;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The core data path: {@code direct:telemetry} and {@code direct:event} turn a record into an envelope,
 * {@code direct:publish} commits it to the outbox (the input's acknowledgement), and the outbox is drained oldest
 * first, many publishes awaiting their PUBACK at once, at QoS 1; one whose first attempt failed goes through
 * {@code direct:mqtt-publish}, retrying with exponential back-off; a reading the broker keeps refusing is written to
 * the dead-letter directory with its reason, one that only lacked a connection stays in the outbox.
 */
public final class PublishRoutes extends RouteBuilder {

    /** Header naming the event on {@code direct:event} when the body holds only the metadata. */
    public static final String EVENT_NAME = "UplinkEventName";
    /** Header carrying a reading's {@code message_id} through the publish path. */
    public static final String MESSAGE_ID = "UplinkMessageId";
    public static final String READING_KIND = "UplinkReadingKind";
    private static final String REDELIVERIES = "uplinkRedeliveries";
    /** The route a publish takes once its first attempt failed (Camel's route metrics leave it out). */
    public static final String PUBLISH_ROUTE = "uplink-publish";

    private final UplinkConfig config;
    private final ReadingIntake intake;
    private final PublishStats stats;
    private final InputCounters inputs;
    private final OutboxStore outbox;
    private final OutboxDrain drain;
    private final UplinkMetrics metrics;
    private final Clock clock;
    private final boolean gzip;
    private final AsyncMqttPublisher publisher;
    private final FirstPublishAttempt firstAttempt;

    public PublishRoutes(UplinkConfig config, ReadingIntake intake, PublishStats stats, InputCounters inputs,
            OutboxStore outbox, OutboxDrain drain, AsyncMqttPublisher publisher, FirstPublishAttempt firstAttempt,
            UplinkMetrics metrics, Clock clock) {
        this.config = config;
        this.intake = intake;
        this.stats = stats;
        this.inputs = inputs;
        this.outbox = outbox;
        this.drain = drain;
        this.metrics = metrics;
        this.clock = clock;
        this.gzip = "gzip".equals(config.compress());
        this.publisher = publisher;
        this.firstAttempt = firstAttempt;
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
                .process(e -> {
                    outbox.append(batch(e.getMessage().getBody()));
                    drain.wakeUp();
                });

        // the publishes whose first attempt failed: one step (the error handler copies the exchange before each
        // step), no stream caching
        from("direct:mqtt-publish").routeId(PUBLISH_ROUTE)
                .noStreamCaching()
                .errorHandler(redelivery(config.publishRetry()))
                .onException(PublishRefusedException.class)
                    .onWhen(e -> !e.getProperty(Exchange.EXCEPTION_CAUGHT, PublishRefusedException.class).retryable())
                    .maximumRedeliveries(0)
                .end()
                .process(new PublishAttempt());

        from("direct:dead-letter").routeId("uplink-dead-letter")
                .choice()
                    .when(this::stillDeliverable)
                        .setProperty(OutboxDrain.OUTCOME, constant(OutboxDrain.KEPT))
                        .process(e -> metrics.publish(e.getMessage().getHeader(READING_KIND, String.class), "kept"))
                        .log(LoggingLevel.WARN, "Reading ${header." + MESSAGE_ID + "} stays in the outbox until the"
                                + " connection is back: ${exception.message}")
                        .stop()
                .end()
                .setProperty(OutboxDrain.OUTCOME, constant(OutboxDrain.DEAD_LETTERED))
                .process(e -> {
                    stats.countFailed();
                    metrics.publish(e.getMessage().getHeader(READING_KIND, String.class), "dead_lettered");
                })
                .log(LoggingLevel.ERROR, "Reading ${header." + MESSAGE_ID + "} (${header." + READING_KIND
                        + "}) was not published and is kept in " + config.deadLetterDir()
                        + "/${header." + MESSAGE_ID + "}.json: ${exception.message}")
                .process(e -> e.setProperty("reason", reason(e)))
                .setHeader(Exchange.FILE_NAME, simple("${header." + MESSAGE_ID + "}.json"))
                .to(deadLetterUri())
                .setBody(exchangeProperty("reason"))
                .setHeader(Exchange.FILE_NAME, simple("${header." + MESSAGE_ID + "}.reason"))
                .to(deadLetterUri());
    }

    /** Prepares the reading, counting it under the input that sent it ({@code routes} when none says). */
    private void counted(Exchange exchange, java.util.function.Supplier<PreparedReading> prepare) {
        String input = exchange.getMessage().getHeader(ReadingRoutesHeaders.INPUT, "routes", String.class);
        try {
            exchange.getMessage().setBody(prepare.get());
            inputs.accepted(input, 1);
        } catch (InvalidReadingException e) {
            inputs.refused(input, 1);
            throw e;
        }
    }

    /** One reading or a list of them, as the inputs hand them over. */
    private static List<PreparedReading> batch(Object body) {
        if (body instanceof PreparedReading one) {
            return List.of(one);
        }
        if (body instanceof List<?> list && list.stream().allMatch(PreparedReading.class::isInstance)) {
            return list.stream().map(PreparedReading.class::cast).toList();
        }
        throw new IllegalArgumentException("direct:publish takes prepared readings (from direct:telemetry,"
                + " direct:event or the inbox), not " + (body == null ? "null" : body.getClass().getSimpleName()));
    }

    /**
     * A failure that is not the broker's verdict on the reading (the connection dropped, no PUBACK in time, the
     * bundle stopping) leaves the reading in the outbox; a refusal after every retry makes it a dead letter.
     */
    private boolean stillDeliverable(Exchange exchange) {
        Exception cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        if (cause instanceof PublishRefusedException refused) {
            return refused.retryable() && exchange.getContext().isStopping();
        }
        return !(cause instanceof IllegalArgumentException);
    }

    /** One attempt at a publish: the MQTT message from the outbox's reading, the publish, and on its PUBACK the counts. */
    private final class PublishAttempt extends AsyncProcessorSupport {

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            toMqttMessage(exchange);
            AtomicReference<?> first = exchange.getProperty(OutboxDrain.FIRST_FAILURE, AtomicReference.class);
            Object firstFailure = first == null ? null : first.getAndSet(null);
            if (firstFailure instanceof Throwable failed) {
                // the drain's first attempt, outside this route, failed: this delivery fails as it did
                exchange.setException(failed instanceof Exception e ? e : new IllegalStateException(failed));
                callback.done(true);
                return true;
            }
            return publisher.process(exchange, doneSync -> {
                if (exchange.getException() == null) {
                    published(exchange);
                }
                callback.done(doneSync);
            });
        }
    }

    private void published(Exchange exchange) {
        firstAttempt.published(exchange.getMessage().getHeader(READING_KIND, String.class),
                exchange.getMessage().getHeader(MESSAGE_ID),
                exchange.getMessage().getHeader(PahoMqtt5Constants.CAMEL_PAHO_OVERRIDE_TOPIC));
        exchange.setProperty(OutboxDrain.OUTCOME, OutboxDrain.PUBLISHED);
    }

    private void toMqttMessage(Exchange exchange) {
        var message = exchange.getMessage();
        if (!(message.getBody() instanceof OutgoingPublish publish)) {
            return; // a redelivery: the message was already prepared
        }
        message.setHeader(MESSAGE_ID, publish.messageId());
        message.setHeader(READING_KIND, publish.kind());
        message.setHeader(PahoMqtt5Constants.CAMEL_PAHO_OVERRIDE_TOPIC, publish.topic());
        message.setHeader(PahoMqtt5Constants.CAMEL_PAHO_MSG_PROPERTIES,
                MqttPublishProperties.forPublish(publish, gzip));
        message.setBody(publish.payload());
    }

    private String reason(Exchange exchange) {
        Exception cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        return "message_id: " + exchange.getMessage().getHeader(MESSAGE_ID) + "\n"
                + "kind: " + exchange.getMessage().getHeader(READING_KIND) + "\n"
                + "topic: " + exchange.getMessage().getHeader(PahoMqtt5Constants.CAMEL_PAHO_OVERRIDE_TOPIC) + "\n"
                + "failed_at: " + Instant.ofEpochMilli(clock.millis()) + "\n"
                + "attempts: " + (1 + exchange.getProperty(REDELIVERIES, 0, Integer.class))
                + "\n"
                + "error: " + (cause == null ? "unknown" : cause.getMessage()) + "\n";
    }

    private String deadLetterUri() {
        return "file:" + config.deadLetterDir().toAbsolutePath() + "?tempPrefix=.writing-&fileExist=Override";
    }

    private DeadLetterChannelBuilder redelivery(Backoff retry) {
        DeadLetterChannelBuilder dlc = deadLetterChannel("direct:dead-letter");
        // asynchronous: a refusal arrives on Paho's callback thread, which every other PUBACK needs; the back-off
        // is a scheduled task, not a sleep there
        dlc.maximumRedeliveries(retry.enabled() ? retry.maxAttempts() : 0)
                .asyncDelayedRedelivery()
                .redeliveryDelay(retry.initialDelay().toMillis())
                .maximumRedeliveryDelay(retry.maxDelay().toMillis())
                .onRedelivery(e -> e.setProperty(REDELIVERIES, e.getProperty(REDELIVERIES, 0, Integer.class) + 1))
                .retryAttemptedLogLevel(LoggingLevel.WARN)
                .logExhausted(false)
                .logStackTrace(false);
        if (retry.multiplier() > 1.0) {
            dlc.useExponentialBackOff().backOffMultiplier(retry.multiplier());
        }
        if (retry.jitter() > 0) {
            dlc.useCollisionAvoidance().collisionAvoidancePercent(retry.jitter() * 100);
        }
        return dlc;
    }
}
