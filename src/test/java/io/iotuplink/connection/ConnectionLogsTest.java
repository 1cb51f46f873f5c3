package io.iotuplink.connection;

import io.iotuplink.config.Backoff;
import io.iotuplink.config.MqttSession;
import io.iotuplink.support.LogBytes;
import io.iotuplink.support.ManualScheduler;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import javax.net.ssl.SSLSocketFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An hour of a broker that is down, or of a link that goes silent again and again, costs a few lines of log. */
class ConnectionLogsTest {

    private static final Duration HOUR = Duration.ofHours(1);

    private final ManualScheduler scheduler = new ManualScheduler();
    private final FakeMqttConnection client = new FakeMqttConnection();
    private final ConnectionMonitor monitor = new ConnectionMonitor(scheduler.clock(), 50, scheduler::nanos);
    private final ConnectionSupervisor supervisor = new ConnectionSupervisor(client,
            new MqttSession(Duration.ofSeconds(30), true, Duration.ZERO, Duration.ofSeconds(10),
                    Duration.ofSeconds(10)),
            (SSLSocketFactory) null,
            new Backoff(true, 5, Duration.ofSeconds(1), Duration.ofSeconds(60), 2.0, 0), monitor,
            "broker.example:8883", "AWS_IOT_CA_PATH=/certs/AmazonRootCA1.pem", scheduler, scheduler.clock(),
            scheduler::nanos);

    @Test
    void anHourWithTheBrokerDownLogsAFewLines() {
        client.refuseNextConnects(100_000);
        try (LogBytes log = LogBytes.attached()) {
            supervisor.start();
            long start = scheduler.nanos() / 1_000_000;
            while (scheduler.nanos() / 1_000_000 - start < HOUR.toMillis()) {
                scheduler.runNext();
            }

            assertTrue(monitor.connectAttempts() > 150, "attempts: " + monitor.connectAttempts());
            assertTrue(log.lines().stream().anyMatch(l -> l.contains("MQTT connection problems: ")),
                    log.lines().toString());
            assertTrue(log.bytes() <= 100_000, log.bytes() + " bytes in an hour: " + log.lines());
        }
    }

    @Test
    void anHourOfALinkGoingSilentEveryHalfMinuteLogsAFewLines() {
        try (LogBytes log = LogBytes.attached()) {
            supervisor.start();
            scheduler.runDue();
            int replaced = 0;
            long start = scheduler.nanos() / 1_000_000;
            while (scheduler.nanos() / 1_000_000 - start < HOUR.toMillis()) {
                long sent = client.now();
                scheduler.advance(Duration.ofSeconds(30));
                client.publishTimesOut(sent);
                scheduler.runDue();
                scheduler.runNext();
                assertTrue(supervisor.isConnected());
                replaced++;
            }

            assertEquals(replaced, client.forcedDisconnects());
            assertTrue(replaced > 100, "replaced " + replaced);
            assertTrue(log.bytes() <= 100_000, log.bytes() + " bytes in an hour: " + log.lines());
        }
    }
}
