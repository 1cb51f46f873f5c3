package io.iotuplink.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.connection.ConnectionMonitor;
import io.iotuplink.connection.ConnectionSupervisor;
import io.iotuplink.envelope.InvalidReadingException;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.ReadingIntake;
import io.iotuplink.outbox.OutboxFullException;
import io.iotuplink.outbox.OutboxStorageException;
import io.iotuplink.status.ApplicationState;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.builder.RouteBuilder;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Control over HTTP: {@code POST /connection} switches reconnection on or off, {@code POST /connection/reconnect}
 * reconnects now, {@code POST /state} changes the application state once its {@code state_changed} event is in the
 * outbox (503 when the outbox is full, and the state stays).
 */
public final class ControlRoutes extends RouteBuilder {

    private final ConnectionSupervisor supervisor;
    private final ConnectionMonitor connection;
    private final ApplicationState state;
    private final ReadingIntake intake;
    private final ObjectMapper mapper;

    public ControlRoutes(ConnectionSupervisor supervisor, ConnectionMonitor connection, ApplicationState state,
            ReadingIntake intake, ObjectMapper mapper) {
        this.supervisor = supervisor;
        this.connection = connection;
        this.state = state;
        this.intake = intake;
        this.mapper = mapper;
    }

    @Override
    public void configure() throws Exception {
        onException(IllegalArgumentException.class).handled(true)
                .process(e -> HttpJson.respond(e, mapper, 400, HttpJson.error("bad request",
                        e.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class).getMessage())));
        onException(OutboxStorageException.class).handled(true)
                .process(e -> HttpJson.respond(e, mapper, 507, HttpJson.storageRefusal(
                        e.getProperty(Exchange.EXCEPTION_CAUGHT, OutboxStorageException.class))));
        onException(OutboxFullException.class).handled(true)
                .process(e -> HttpJson.respond(e, mapper, 503, HttpJson.error("outbox full",
                        e.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class).getMessage())));
        onException(UnsupportedContentTypeException.class).handled(true)
                .process(e -> HttpJson.respond(e, mapper, 415, HttpJson.error("unsupported content type",
                        e.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class).getMessage())));
        onException(InvalidReadingException.class).handled(true)
                .process(e -> {
                    InvalidReadingException error = e.getProperty(Exchange.EXCEPTION_CAUGHT,
                            InvalidReadingException.class);
                    HttpJson.respond(e, mapper, error.problem().httpStatus(),
                            HttpJson.error(error.summary(), error.detail()));
                });
        HttpJson.answerFaults(this, mapper);

        from("platform-http:/connection?httpMethodRestrict=POST").routeId("uplink-http-connection")
                .process(e -> {
                    JsonNode reconnect = body(e.getMessage()).get("reconnect");
                    if (reconnect == null || !reconnect.isBoolean()) {
                        throw new IllegalArgumentException("send {\"reconnect\": true} or {\"reconnect\": false}");
                    }
                    supervisor.reconnectEnabled(reconnect.asBoolean());
                    Map<String, Object> answer = new LinkedHashMap<>();
                    answer.put("reconnect", supervisor.reconnectEnabled());
                    answer.put("connection_status", connection.state().jsonName());
                    HttpJson.respond(e, mapper, 200, answer);
                });

        from("platform-http:/connection/reconnect?httpMethodRestrict=POST").routeId("uplink-http-reconnect")
                .process(e -> {
                    supervisor.reconnectNow();
                    HttpJson.respond(e, mapper, 202, Map.of("reconnect", "requested"));
                });

        // one template for every state change, stopped with the context
        ProducerTemplate publisher = getContext().createProducerTemplate();
        getContext().addService(publisher, true, true);
        from("platform-http:/state?httpMethodRestrict=POST").routeId("uplink-http-state")
                .process(e -> {
                    JsonNode next = body(e.getMessage()).get("state");
                    if (next == null || !next.isTextual()) {
                        throw new IllegalArgumentException("send {\"state\": \"collecting_data\"}");
                    }
                    String to = next.asText();
                    state.change(to, from -> {
                        Map<String, Object> metadata = new LinkedHashMap<>();
                        metadata.put("from", from);
                        metadata.put("to", to);
                        PreparedReading event = intake.event("state_changed", metadata);
                        publish(publisher, event);
                        respond(e, 202, Map.of("from", from, "to", to, "message_id", event.reading().messageId()));
                    });
                });
    }

    private void respond(Exchange exchange, int code, Object body) {
        try {
            HttpJson.respond(exchange, mapper, code, body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
            throw new IllegalStateException("cannot write the answer as JSON: " + ex.getOriginalMessage(), ex);
        }
    }

    /** Commits the event to the outbox, throwing what refused it (an {@link OutboxFullException}...). */
    private static void publish(ProducerTemplate publisher, PreparedReading event) {
        Exchange sent = publisher.send("direct:publish", e -> e.getMessage().setBody(List.of(event)));
        if (sent.getException() != null) {
            throw RuntimeCamelException.wrapRuntimeException(sent.getException());
        }
    }

    private JsonNode body(Message message) {
        HttpJson.requireJson(message);
        JsonNode node = intake.parse(HttpJson.body(message));
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("the body must be a JSON object");
        }
        return node;
    }
}
