package io.iotuplink.publish;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.config.ConfigReader;
import io.iotuplink.config.FileMode;
import io.iotuplink.config.UplinkConfig;
import io.iotuplink.connection.ConnectionMonitor;
import io.iotuplink.deadletter.DeadLetter;
import io.iotuplink.deadletter.DeadLetters;
import io.iotuplink.envelope.EnvelopeWriter;
import io.iotuplink.envelope.ReadingFactory;
import io.iotuplink.envelope.ReadingIntake;
import io.iotuplink.inputs.InputCounters;
import io.iotuplink.mqtt.PublishRefusedException;
import io.iotuplink.outbox.Lane;
import io.iotuplink.outbox.OutboxConstants;
import io.iotuplink.outbox.OutboxStore;
import io.iotuplink.outbox.StoredReading;
import io.iotuplink.outbox.WhenFull;
import io.iotuplink.status.PublishStats;
import io.iotuplink.status.UplinkMetrics;
import io.iotuplink.support.SimulatedClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.component.direct.DirectComponent;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** direct:dead-letter keeps a refused batch as one letter per reading, each its own envelope as stored. */
class DeadLetterRouteTest {

    @TempDir
    Path dir;

    @Test
    void aRefusedGzipBatchBecomesOneLetterPerReadingNamedByItsMessageId() throws Exception {
        SimulatedClock clock = new SimulatedClock(Instant.parse("2026-12-08T01:00:00Z"));
        Map<String, String> p = Map.of("aws.iot.endpoint", "x-ats.iot.eu-west-1.amazonaws.com",
                "aws.iot.cert-path", "c", "aws.iot.key-path", "k", "aws.iot.ca-path", "a",
                "uplink.data-dir", dir.toString(), "uplink.compress", "gzip");
        UplinkConfig config = ConfigReader.read(key -> Optional.ofNullable(p.get(key)), false).orThrow();
        ObjectMapper mapper = ReadingFactory.strictMapper();
        DeadLetters letters = new DeadLetters(config.deadLetterDir(), FileMode.PRIVATE, 100, 1 << 20,
                System::nanoTime);
        PublishStats stats = new PublishStats();
        try (OutboxStore store = OutboxStore.open(dir.resolve("outbox.db"), 10, 1 << 20, WhenFull.REJECT);
             DefaultCamelContext context = new DefaultCamelContext()) {
            UplinkMetrics metrics = new UplinkMetrics(new SimpleMeterRegistry(), new ConnectionMonitor(clock, 5),
                    store);
            // direct:publish's outbox is not what this test is about
            context.addComponent("outbox", new DirectComponent());
            context.addRoutes(new PublishRoutes(config, new ReadingIntake(mapper, new ReadingFactory(mapper, clock),
                    new EnvelopeWriter(mapper, "d"), config.telemetryTopic(), config.eventsTopic()), stats,
                    new InputCounters(), metrics, clock, letters));
            context.start();
            List<StoredReading> batch = List.of(reading(1), reading(2));
            Exchange exchange = new DefaultExchange(context);
            exchange.getMessage().setBody(new byte[] {0x1f, (byte) 0x8b, 1, 2, 3});
            exchange.getMessage().setHeader(OutboxConstants.MESSAGE_ID, "batch-7");
            exchange.getMessage().setHeader(OutboxConstants.READINGS, 2);
            exchange.getMessage().setHeader(OutboxConstants.READING_KIND, "batch");
            exchange.setProperty(OutboxConstants.STORED_READINGS, batch);
            exchange.setProperty(Exchange.EXCEPTION_CAUGHT,
                    new PublishRefusedException("bombercat/telemetry", 0x87, "not authorized"));

            context.createProducerTemplate().send("direct:dead-letter", exchange);

            assertEquals(null, exchange.getException());
            for (StoredReading reading : batch) {
                assertArrayEquals(reading.envelope(), Files.readAllBytes(config.deadLetterDir().resolve(
                        reading.messageId() + ".json")));
                DeadLetter letter = letters.find(reading.messageId()).orElseThrow();
                assertEquals("0x87", letter.reasonCode());
                assertEquals("batch-7", letter.batch());
                assertEquals(reading.acceptedAtMillis(), letter.acceptedAtMillis());
            }
            assertEquals(2, letters.count());
            assertEquals(1, stats.failed(), "the exchange is counted once, as the route counts it");
        }
    }

    private static StoredReading reading(int n) {
        return new StoredReading(n, "reading-" + n, "telemetry", "bombercat/telemetry", 1_700_000_000_000L + n,
                ("{\"data\":{\"n\":" + n + "}}").getBytes(StandardCharsets.UTF_8), Lane.BULK, 0);
    }
}
