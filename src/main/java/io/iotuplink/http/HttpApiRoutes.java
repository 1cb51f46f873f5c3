package io.iotuplink.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.envelope.InvalidReadingException;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.ReadingIntake;
import io.iotuplink.inputs.InputCounters;
import io.iotuplink.outbox.OutboxFullException;
import io.iotuplink.status.StatusReport;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.builder.RouteBuilder;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The HTTP API on camel-platform-http: {@code POST /telemetry}, {@code POST /events/{name}}, {@code GET /status}.
 * A reading is answered 202 once it is published or kept in the dead-letter directory; bad input gets
 * 400, 413 or 415 with a JSON body naming the problem.
 */
public final class HttpApiRoutes extends RouteBuilder {

    private static final String READINGS = "uplinkReadings";

    private static final String INPUT = "http";

    private final ReadingIntake intake;
    private final StatusReport status;
    private final InputCounters inputs;
    private final ObjectMapper mapper;

    public HttpApiRoutes(ReadingIntake intake, StatusReport status, InputCounters inputs, ObjectMapper mapper) {
        this.intake = intake;
        this.status = status;
        this.inputs = inputs;
        this.mapper = mapper;
    }

    @Override
    public void configure() {
        onException(InvalidReadingException.class).handled(true)
                .process(e -> {
                    InvalidReadingException error = e.getProperty(Exchange.EXCEPTION_CAUGHT,
                            InvalidReadingException.class);
                    inputs.refused(INPUT, 1);
                    respond(e, error.problem().httpStatus(), error(error.summary(), error.detail()));
                });
        onException(OutboxFullException.class).handled(true)
                .process(e -> inputs.refused(INPUT, 1))
                .process(e -> respond(e, 503, error("outbox full",
                        e.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class).getMessage())));
        onException(UnsupportedContentTypeException.class).handled(true)
                .process(e -> inputs.refused(INPUT, 1))
                .process(e -> respond(e, 415, error("unsupported content type",
                        e.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class).getMessage())));

        from("platform-http:/telemetry?httpMethodRestrict=POST").routeId("uplink-http-telemetry")
                .process(e -> {
                    requireJson(e.getMessage());
                    e.setProperty(READINGS, intake.records(bodyText(e.getMessage())));
                })
                .to("direct:uplink-http-publish");

        from("platform-http:/events/{name}?httpMethodRestrict=POST").routeId("uplink-http-events")
                .process(e -> {
                    requireJson(e.getMessage());
                    String name = e.getMessage().getHeader("name", String.class);
                    e.setProperty(READINGS, List.of(intake.event(name, bodyText(e.getMessage()))));
                })
                .to("direct:uplink-http-publish");

        from("direct:uplink-http-publish").routeId("uplink-http-publish")
                .setBody(exchangeProperty(READINGS))
                .to("direct:publish")
                .process(e -> {
                    List<?> readings = e.getProperty(READINGS, List.class);
                    inputs.accepted(INPUT, readings.size());
                    Map<String, Object> answer = new LinkedHashMap<>();
                    answer.put("accepted", readings.size());
                    answer.put("message_ids", readings.stream()
                            .map(r -> ((PreparedReading) r).reading().messageId()).toList());
                    respond(e, 202, answer);
                });

        from("platform-http:/status?httpMethodRestrict=GET").routeId("uplink-http-status")
                .process(e -> respond(e, 200, status.snapshot()));
    }

    private static void requireJson(Message message) {
        String type = message.getHeader(Exchange.CONTENT_TYPE, String.class);
        if (type != null && !type.isBlank()) {
            String mime = type.split(";")[0].trim().toLowerCase(Locale.ROOT);
            if (!mime.equals("application/json") && !mime.endsWith("+json")) {
                throw new UnsupportedContentTypeException("Content-Type is " + mime
                        + "; send JSON with Content-Type: application/json");
            }
        }
    }

    private static String bodyText(Message message) {
        String body = message.getBody(String.class);
        return body == null ? "" : body;
    }

    private void respond(Exchange exchange, int code, Object body) throws Exception {
        Message message = exchange.getMessage();
        message.removeHeaders("*");
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, code);
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        message.setBody(mapper.writeValueAsString(body));
    }

    private static Map<String, Object> error(String error, String detail) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("detail", detail);
        return body;
    }
}
