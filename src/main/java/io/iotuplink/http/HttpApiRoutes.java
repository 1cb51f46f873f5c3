package io.iotuplink.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.envelope.InvalidReadingException;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.ReadingIntake;
import io.iotuplink.envelope.RecordBudget;
import io.iotuplink.inputs.InputCounters;
import io.iotuplink.outbox.OutboxBudget;
import io.iotuplink.outbox.OutboxFullException;
import io.iotuplink.outbox.OutboxStorageException;
import io.iotuplink.status.StatusReport;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.support.SynchronizationAdapter;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP API on camel-platform-http: {@code POST /telemetry}, {@code POST /events/{name}}, {@code GET /status}.
 * A reading is answered 202 once it is published or kept in the dead-letter directory; bad input gets
 * 400, 413 or 415 with a JSON body naming the problem. A body's records are counted, and claim their room in the
 * outbox, before any of them is built.
 */
public final class HttpApiRoutes extends RouteBuilder {

    private static final String READINGS = "uplinkReadings";

    private static final String INPUT = "http";

    private final ReadingIntake intake;
    private final StatusReport status;
    private final InputCounters inputs;
    private final ObjectMapper mapper;
    private final OutboxBudget budget;

    public HttpApiRoutes(ReadingIntake intake, StatusReport status, InputCounters inputs, ObjectMapper mapper,
            OutboxBudget budget) {
        this.intake = intake;
        this.status = status;
        this.inputs = inputs;
        this.mapper = mapper;
        this.budget = budget;
    }

    @Override
    public void configure() {
        onException(InvalidReadingException.class).handled(true)
                .process(e -> {
                    InvalidReadingException error = e.getProperty(Exchange.EXCEPTION_CAUGHT,
                            InvalidReadingException.class);
                    inputs.refused(INPUT, 1);
                    HttpJson.respond(e, mapper, error.problem().httpStatus(),
                            HttpJson.error(error.summary(), error.detail()));
                });
        onException(OutboxStorageException.class).handled(true)
                .process(e -> inputs.refused(INPUT, 1))
                .process(e -> HttpJson.respond(e, mapper, 507, HttpJson.storageRefusal(
                        e.getProperty(Exchange.EXCEPTION_CAUGHT, OutboxStorageException.class))));
        onException(OutboxFullException.class).handled(true)
                .process(e -> inputs.refused(INPUT, 1))
                .process(e -> HttpJson.respond(e, mapper, 503, HttpJson.error("outbox full",
                        e.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class).getMessage())));
        onException(UnsupportedContentTypeException.class).handled(true)
                .process(e -> inputs.refused(INPUT, 1))
                .process(e -> HttpJson.respond(e, mapper, 415, HttpJson.error("unsupported content type",
                        e.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class).getMessage())));
        HttpJson.answerFaults(this, mapper);

        from("platform-http:/telemetry?httpMethodRestrict=POST").routeId("uplink-http-telemetry")
                .process(e -> {
                    HttpJson.requireJson(e.getMessage());
                    e.setProperty(READINGS, intake.records(HttpJson.body(e.getMessage()), claimFor(e)));
                })
                .to("direct:uplink-http-publish");

        from("platform-http:/events/{name}?httpMethodRestrict=POST").routeId("uplink-http-events")
                .process(e -> {
                    HttpJson.requireJson(e.getMessage());
                    String name = e.getMessage().getHeader("name", String.class);
                    JsonNode metadata = intake.parse(HttpJson.body(e.getMessage()));
                    e.setProperty(READINGS, List.of(intake.event(name, metadata)));
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
                    HttpJson.respond(e, mapper, 202, answer);
                });

        from("platform-http:/status?httpMethodRestrict=GET").routeId("uplink-http-status")
                .process(e -> HttpJson.respond(e, mapper, 200, status.snapshot()));
    }

    /** The body's records hold room in the outbox from when they are counted until the exchange is done. */
    private RecordBudget claimFor(Exchange exchange) {
        return new RecordBudget() {
            @Override
            public long max() {
                return budget.max();
            }

            @Override
            public void admit(long records) {
                OutboxBudget.Claim claim = budget.claim(records);
                exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
                    @Override
                    public void onDone(Exchange done) {
                        claim.close();
                    }
                });
            }
        };
    }
}
