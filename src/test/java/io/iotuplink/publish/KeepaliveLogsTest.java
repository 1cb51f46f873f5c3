package io.iotuplink.publish;

import io.iotuplink.outbox.OutboxFullException;
import io.iotuplink.support.LogBytes;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** A keepalive that cannot be stored for an hour (the outbox full) costs a few lines, none with a stack trace. */
class KeepaliveLogsTest {

    @Test
    void anHourOfKeepalivesRefusedByAFullOutboxLogsAFewLines() throws Exception {
        AtomicLong nanos = new AtomicLong();
        AtomicInteger refused = new AtomicInteger();
        try (DefaultCamelContext context = new DefaultCamelContext(); LogBytes log = LogBytes.attached()) {
            context.addRoutes(new KeepaliveRoute(Duration.ofMillis(1), () -> 12.5, nanos::get));
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    // each keepalive stands for one every 25 s: 144 are an hour; like uplink-event, this route
                    // leaves the logging of what fails to its caller
                    from("direct:event").errorHandler(noErrorHandler()).process(e -> {
                        nanos.addAndGet(TimeUnit.SECONDS.toNanos(25));
                        refused.incrementAndGet();
                        throw new OutboxFullException("the outbox holds 10,000 readings, its limit");
                    });
                }
            });
            context.start();
            Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> refused.get() >= 144);
            context.stop();

            // (the first of the keepalive's lines: a summary of an earlier test's problem may come in between)
            assertTrue(log.lines().stream().filter(l -> l.contains("KeepaliveRoute")).findFirst().orElse("")
                    .contains("Keepalive event not stored: the outbox holds 10,000 readings"), log.lines().toString());
            assertTrue(log.lines().stream().noneMatch(l -> l.contains("\tat ")), "no stack trace: " + log.lines());
            double hours = refused.get() / 144.0;
            assertTrue(log.perHour(hours * 3600) <= 100_000, log.perHour(hours * 3600) + " bytes an hour: "
                    + log.lines());
        }
    }
}
