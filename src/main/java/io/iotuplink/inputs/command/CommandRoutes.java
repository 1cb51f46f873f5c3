package io.iotuplink.inputs.command;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iotuplink.config.CommandLimits;
import io.iotuplink.envelope.InvalidReadingException;
import io.iotuplink.envelope.JsonSyntax;
import io.iotuplink.envelope.ReadingFactory;
import io.iotuplink.inputs.InputCounters;
import io.iotuplink.inputs.ReadingRoutesHeaders;
import io.iotuplink.publish.PublishRoutes;
import io.iotuplink.status.StatusReport;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.Route;
import org.apache.camel.builder.RouteBuilder;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import io.iotuplink.logging.RepeatedProblem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Answers commands sent to {@code {prefix}/commands/{name}}: built-in {@code ping} and {@code status}, any
 * {@code direct:command-{name}} route a user adds, and {@code unknown} for the rest. The answer is the event
 * {@code command_result} with {@code {"command", "status", "result", "correlation_id"}}. Commands run from a bounded
 * queue, {@code concurrency} at a time; one that finds the queue full is answered {@code busy}, a retained one
 * {@code ignored} (see {@link CommandListener}).
 */
public final class CommandRoutes extends RouteBuilder {

    /** Where the MQTT subscription hands each command to run (a queue, so Paho's callback thread never waits). */
    public static final String QUEUE = "seda:uplink-commands";
    /** Where it hands those answered without running: busy, or retained. */
    public static final String DECLINED_QUEUE = "seda:uplink-commands-declined";
    public static final String TOPIC = "UplinkCommandTopic";
    public static final String CORRELATION_DATA = "UplinkCommandCorrelationData";
    /** On a declined command: the status it is answered with. */
    static final String ANSWER = "UplinkCommandAnswer";
    static final String BUSY = "busy";
    static final String IGNORED = "ignored";
    /** The input the answers are counted under. */
    static final String INPUT = "command";
    private static final String METADATA = "uplinkCommandResult";
    private static final String CORRELATION_ID = "uplinkCommandCorrelationId";
    /** A correlation id is echoed in the answer: bounded, so that the answer stays far below the envelope limit. */
    static final int MAX_CORRELATION_ID_CHARS = 1024;
    /** The command a user's {@code direct:command-{name}} route answers. */
    private static final String USER_COMMAND = "uplinkUserCommand";

    private static final Logger LOG = LoggerFactory.getLogger(CommandRoutes.class);
    /** A command sent again and again that fails, or that nothing runs: once each, then a summary a minute. */
    private static final RepeatedProblem FAILED = RepeatedProblem.warn(LOG, "Commands failed");
    private static final RepeatedProblem UNKNOWN = RepeatedProblem.info(LOG, "Unknown commands");

    private final String commandsPrefix;
    private final CommandLimits limits;
    private final StatusReport status;
    private final ObjectMapper mapper;
    private final CommandOverflow overflow;

    public CommandRoutes(String topicPrefix, CommandLimits limits, StatusReport status, InputCounters inputs,
            ObjectMapper mapper) {
        this.commandsPrefix = topicPrefix + "/commands/";
        this.limits = limits;
        this.status = status;
        this.mapper = mapper;
        this.overflow = new CommandOverflow(inputs, limits.concurrency(), limits.queueSize(), System::nanoTime);
    }

    /**
     * The listener for the commands subscription: it only queues the message (Paho's callback thread must never
     * wait for a publish), with its topic and MQTT 5 correlation data.
     */
    public IMqttMessageListener listener(ProducerTemplate producer) {
        CamelContext context = producer.getCamelContext();
        return new CommandListener(producer, context.getEndpoint(runQueue()), context.getEndpoint(declinedQueue()),
                overflow);
    }

    private String runQueue() {
        return QUEUE + "?size=" + limits.queueSize() + "&blockWhenFull=false&concurrentConsumers="
                + limits.concurrency();
    }

    private String declinedQueue() {
        return DECLINED_QUEUE + "?size=" + limits.queueSize() + "&blockWhenFull=false";
    }

    @Override
    public void configure() {
        from(runQueue()).routeId("uplink-commands")
                .onException(Exception.class).handled(true).process(this::unanswered).end()
                .process(this::answer)
                .filter(exchangeProperty(USER_COMMAND).isNotNull())
                    // the user's route runs on this exchange: no producer template of its own per command
                    .doTry()
                        .toD("direct:command-${exchangeProperty." + USER_COMMAND + "}")
                        .process(e -> answer(e, "ok", asObject(e.getMessage().getBody())))
                    .doCatch(Exception.class)
                        .process(this::failed)
                    .end()
                .end()
                .setHeader(PublishRoutes.EVENT_NAME, constant("command_result"))
                .setHeader(ReadingRoutesHeaders.INPUT, constant(INPUT))
                .to("direct:event");

        from(declinedQueue()).routeId("uplink-commands-declined")
                .onException(Exception.class).handled(true).process(this::unanswered).end()
                .process(this::decline)
                .setHeader(PublishRoutes.EVENT_NAME, constant("command_result"))
                .setHeader(ReadingRoutesHeaders.INPUT, constant(INPUT))
                .to("direct:event");
    }

    /** Answers a command without running it: {@code busy} (the queue was full) or {@code ignored} (retained). */
    private void decline(Exchange exchange) {
        String topic = exchange.getMessage().getHeader(TOPIC, String.class);
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("command", topic.substring(commandsPrefix.length()));
        exchange.setProperty(METADATA, metadata);
        exchange.setProperty(CORRELATION_ID, exchange.getMessage().getHeader(CORRELATION_DATA));
        try {
            exchange.setProperty(CORRELATION_ID, correlationId(arguments(exchange.getMessage().getBody(byte[].class)),
                    exchange));
        } catch (InvalidReadingException e) {
            // not run either way: the answer names why, without the payload's correlation id
        }
        if (BUSY.equals(exchange.getMessage().getHeader(ANSWER))) {
            answer(exchange, BUSY, Map.of("reason", "more than " + limits.queueSize()
                    + " commands are waiting to run; send it again later"));
        } else {
            answer(exchange, IGNORED, Map.of("reason", "a retained command is never run (the broker would hand it"
                    + " over again at every reconnect); publish it without the retain flag"));
        }
    }

    /** No answer could be stored (the outbox is full, say): counted, logged once per burst. */
    private void unanswered(Exchange exchange) {
        Exception error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        overflow.dropped("no answer could be stored (" + error.getMessage() + ")");
    }

    /** Answers a built-in, unknown or malformed command; a user's command is left to its route. */
    private void answer(Exchange exchange) {
        String topic = exchange.getMessage().getHeader(TOPIC, String.class);
        String name = topic.substring(commandsPrefix.length());
        byte[] payload = exchange.getMessage().getBody(byte[].class);
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("command", name);
        exchange.setProperty(METADATA, metadata);
        ObjectNode arguments;
        exchange.setProperty(CORRELATION_ID, exchange.getMessage().getHeader(CORRELATION_DATA));
        try {
            arguments = arguments(payload);
            exchange.setProperty(CORRELATION_ID, correlationId(arguments, exchange));
        } catch (InvalidReadingException e) {
            answer(exchange, "error", Map.of("error", e.getMessage()));
            return;
        }
        switch (name) {
            case "ping" -> answer(exchange, "ok", Map.of("pong", true));
            case "status" -> answer(exchange, "ok", status.snapshot());
            default -> {
                if (!ReadingFactory.EVENT_NAME.matcher(name).matches() || !hasRoute("direct:command-" + name)) {
                    UNKNOWN.report(name, "Unknown command '{}' on {}", name, topic);
                    answer(exchange, "unknown", Map.of());
                    return;
                }
                exchange.setProperty(USER_COMMAND, name);
                exchange.getMessage().setBody(arguments);
            }
        }
    }

    private void failed(Exchange exchange) {
        Exception error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        FAILED.report(String.valueOf(exchange.getProperty(USER_COMMAND)), "Command '{}' failed: {}",
                exchange.getProperty(USER_COMMAND), error.getMessage());
        answer(exchange, "error", Map.of("error", String.valueOf(error.getMessage())));
    }

    private static void answer(Exchange exchange, String outcome, Object result) {
        @SuppressWarnings("unchecked")
        Map<String, Object> metadata = exchange.getProperty(METADATA, Map.class);
        metadata.put("status", outcome);
        metadata.put("result", result);
        metadata.put("correlation_id", exchange.getProperty(CORRELATION_ID));
        exchange.getMessage().setBody(metadata);
    }

    /**
     * The payload's {@code correlation_id}, any JSON value, else the MQTT 5 correlation data; one the answer could
     * not carry as it came (a number beyond a double, like 1e400, or a value too large to echo) is refused, so the
     * command is answered with why instead of not at all.
     */
    private Object correlationId(ObjectNode arguments, Exchange exchange) {
        JsonNode id = arguments.get("correlation_id");
        if (id == null || id.isNull()) {
            return exchange.getMessage().getHeader(CORRELATION_DATA);
        }
        String bad = ReadingFactory.nonFinite(id);
        if (bad != null) {
            throw new InvalidReadingException(InvalidReadingException.Problem.MALFORMED, "bad correlation_id",
                    "correlation_id" + bad + " is a number beyond what a double holds (about 1.8e308), which JSON"
                            + " cannot carry back; send the correlation id as a string");
        }
        int size = id.toString().length();
        if (size > MAX_CORRELATION_ID_CHARS) {
            throw new InvalidReadingException(InvalidReadingException.Problem.MALFORMED, "bad correlation_id",
                    "correlation_id is " + size + " characters of JSON; at most " + MAX_CORRELATION_ID_CHARS
                            + " are echoed: send a shorter one");
        }
        return mapper.convertValue(id, Object.class);
    }

    private boolean hasRoute(String uri) {
        String normalized = uri.replace("direct:", "direct://");
        for (Route route : getContext().getRoutes()) {
            if (route.getEndpoint().getEndpointUri().equals(normalized)) {
                return true;
            }
        }
        return false;
    }

    private ObjectNode arguments(byte[] payload) {
        if (payload == null || payload.length == 0) {
            return mapper.createObjectNode();
        }
        try {
            JsonNode node = mapper.readTree(new String(payload, StandardCharsets.UTF_8));
            if (node == null || node.isMissingNode() || node.isNull()) {
                return mapper.createObjectNode();
            }
            if (!node.isObject()) {
                throw new InvalidReadingException(InvalidReadingException.Problem.MALFORMED, "not a JSON object",
                        "a command's payload must be a JSON object");
            }
            return (ObjectNode) node;
        } catch (java.io.IOException e) {
            throw new InvalidReadingException(InvalidReadingException.Problem.MALFORMED, "malformed JSON",
                    "the command's payload is not JSON" + (e instanceof JsonProcessingException json
                            ? " (" + JsonSyntax.describeWithLocation(json) + ")" : ""));
        }
    }

    private Object asObject(Object result) {
        if (result == null) {
            return Map.of();
        }
        if (result instanceof String text) {
            try {
                JsonNode node = mapper.readTree(text);
                return node != null && node.isObject() ? node : Map.of("value", text);
            } catch (java.io.IOException e) {
                return Map.of("value", text);
            }
        }
        JsonNode node = mapper.valueToTree(result);
        return node.isObject() ? node : Map.of("value", node);
    }
}
