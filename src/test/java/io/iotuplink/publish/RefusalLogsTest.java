package io.iotuplink.publish;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.config.ConfigReader;
import io.iotuplink.config.UplinkConfig;
import io.iotuplink.deadletter.DeadLetters;
import io.iotuplink.connection.ConnectionMonitor;
import io.iotuplink.envelope.EnvelopeWriter;
import io.iotuplink.envelope.ReadingFactory;
import io.iotuplink.envelope.ReadingIntake;
import io.iotuplink.inputs.InputCounters;
import io.iotuplink.inputs.ReadingRoutesHeaders;
import io.iotuplink.mqtt.PublishRefusedException;
import io.iotuplink.outbox.OutboxConstants;
import io.iotuplink.outbox.StoredReading;
import io.iotuplink.status.PublishStats;
import io.iotuplink.status.UplinkMetrics;
import io.iotuplink.support.LogBytes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.direct.DirectComponent;
import org.apache.camel.impl.DefaultCamelContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the log says when a user's route sends invalid records, or the broker refuses readings for good, for a long
 * time: the first in detail, then a counted line a minute, at most ~100 KB an hour (measured on simulated time).
 */
class RefusalLogsTest {

    private static final long HOUR_BUDGET = 100_000;
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @TempDir
    Path dir;
    private final AtomicLong nanos = new AtomicLong();
    private final InputCounters inputs = new InputCounters();
    private final PublishStats stats = new PublishStats();
    private DefaultCamelContext context;
    private ProducerTemplate template;

    @BeforeEach
    void start() throws Exception {
        UplinkConfig config = ConfigReader.read(key -> Optional.ofNullable(Map.of(
                "uplink.data-dir", dir.toString()).get(key)), true).config();
        ObjectMapper mapper = new ObjectMapper();
        ReadingIntake intake = new ReadingIntake(mapper, new ReadingFactory(mapper, Clock.systemUTC()),
                new EnvelopeWriter(mapper, "bombercat-001"), "bombercat/telemetry", "bombercat/events");
        context = new DefaultCamelContext();
        // nothing here reaches the outbox: an endpoint that only has to exist
        DirectComponent outbox = new DirectComponent();
        outbox.setBlock(false);
        context.addComponent("outbox", outbox);
        context.addRoutes(new PublishRoutes(config, intake, stats, inputs, new UplinkMetrics(
                new SimpleMeterRegistry(), new ConnectionMonitor(Clock.systemUTC(), 10), null), Clock.systemUTC(),
                new DeadLetters(config.deadLetterDir(), config.fileMode(), 10_000, 64L << 20, nanos::get),
                nanos::get));
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:users-route").routeId("users-route")
                        .setHeader(ReadingRoutesHeaders.INPUT, constant("sensors"))
                        .to("direct:telemetry")
                        .setHeader("reached", constant(true));
            }
        });
        context.start();
        template = context.createProducerTemplate();
    }

    @AfterEach
    void stop() {
        context.stop();
    }

    @Test
    void invalidRecordsFromAUsersRouteLogAFewLinesAnHour() throws Exception {
        try (LogBytes log = LogBytes.attached()) {
            // a timer's consumer logs a WARN with the stack trace for each failed exchange: none is failed
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("timer:users-sensor?delay=0&period=1&repeatCount=50").routeId("users-sensor")
                            .setBody(constant("[1, 2]"))
                            .to("direct:telemetry");
                }
            });
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> inputs.refused("routes") == 50);
            // ten minutes at 10 records a second (the log does not grow with the rate)
            for (int i = 0; i < 6_000; i++) {
                nanos.addAndGet(SECOND / 10);
                Exchange done = template.send("direct:users-route",
                        e -> e.getMessage().setBody("{\"temperature\": 25.5,"));
                assertFalse(done.isFailed() || done.getMessage().getHeader("reached") != null,
                        "a refused record ends the route, quietly");
            }

            assertEquals(6_000, inputs.refused("sensors"));
            assertTrue(log.lines().stream().anyMatch(l -> l.contains("routes (route users-sensor): record refused on"
                    + " direct:telemetry: not a JSON object")), log.lines().toString());
            assertTrue(log.lines().stream().anyMatch(l -> l.contains("sensors (route users-route): record refused on"
                    + " direct:telemetry: malformed JSON")), log.lines().toString());
            assertTrue(log.lines().stream().noneMatch(l -> l.contains("\tat ")), "no stack trace: " + log.lines());
            assertTrue(log.lines().stream().anyMatch(l -> l.contains("more in the last 60 s")), log.lines().toString());
            assertTrue(log.perHour(600) <= HOUR_BUDGET, log.perHour(600) + " bytes an hour: " + log.lines());
        }
    }

    @Test
    void readingsRefusedForGoodLogAFewLinesAnHour() {
        try (LogBytes log = LogBytes.attached()) {
            // ten minutes of PUBACK 0x87, a reading every 6 s (each is written to disk)
            for (int i = 0; i < 100; i++) {
                nanos.addAndGet(SECOND * 6);
                int n = i;
                Exchange done = template.send("direct:dead-letter", e -> {
                    e.getMessage().setBody(("{\"n\": " + n + "}").getBytes());
                    e.getMessage().setHeader(OutboxConstants.MESSAGE_ID, "id-" + n);
                    e.getMessage().setHeader(OutboxConstants.READING_KIND, "telemetry");
                    e.setProperty(OutboxConstants.STORED_READINGS, List.of(new StoredReading(n, "id-" + n,
                            "telemetry", "bombercat/telemetry", 1_700_000_000_000L, ("{\"n\": " + n + "}").getBytes())));
                    e.setProperty(Exchange.EXCEPTION_CAUGHT, new PublishRefusedException("bombercat/telemetry",
                            0x87, null));
                });
                assertFalse(done.isFailed(), "kept as a dead letter");
            }

            assertEquals(100, stats.failed());
            assertTrue(log.lines().get(0).contains("Reading id-0 (telemetry) was not published"), log.lines().get(0));
            assertTrue(log.lines().stream().anyMatch(l -> l.contains("Readings dead-lettered: 10 more in the last"
                    + " 60 s")), log.lines().toString());
            assertTrue(log.perHour(600) <= HOUR_BUDGET, log.perHour(600) + " bytes an hour: " + log.lines());
        }
    }
}
