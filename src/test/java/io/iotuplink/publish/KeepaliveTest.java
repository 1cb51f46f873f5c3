package io.iotuplink.publish;

import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.SharedBroker;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One broker serves the class; each test has its own client id and looks only at its own publishes. */
class KeepaliveTest {

    @RegisterExtension
    static final SharedBroker shared = new SharedBroker();

    @TempDir
    Path dir;

    @Test
    void keepaliveEventsCarryTheGrowingUptimeAndAlive() {
        Map<String, String> properties = RunningBundle.properties(shared.broker(),
                shared.broker().device("bombercat-test-001", TestBroker.KeyForm.PKCS1), dir.resolve("data"));
        properties.put("uplink.keepalive-interval", "500ms");
        try (RunningBundle bundle = RunningBundle.start(properties)) {
            List<ReceivedPublish> keepalives = shared.broker().await(p -> p.clientId().equals("bombercat-test-001")
                    && p.payloadText().contains("\"keepalive\""), 3, Duration.ofSeconds(20));

            double previous = -1;
            for (ReceivedPublish keepalive : keepalives.subList(0, 3)) {
                assertEquals("bombercat/events", keepalive.topic());
                assertTrue(keepalive.payloadText().matches("\\{\"timestamp\":\\d+\\.\\d{3},\"device_id\":"
                        + "\"bombercat-001\",\"event\":\"keepalive\",\"metadata\":\\{\"uptime\":[0-9.]+,"
                        + "\"status\":\"alive\"}}"), keepalive.payloadText());
                double uptime = RunningBundle.json(keepalive.payloadText()).get("metadata").get("uptime")
                        .asDouble();
                assertTrue(uptime > previous, "uptime grows: " + uptime + " after " + previous);
                previous = uptime;
            }
        }
    }

    @Test
    void anIntervalOfZeroTurnsKeepaliveOff() {
        String clientId = "bombercat-quiet";
        Map<String, String> properties = RunningBundle.properties(shared.broker(),
                shared.broker().device(clientId, TestBroker.KeyForm.PKCS1), dir.resolve("data"));
        properties.put("aws.iot.client-id", clientId);
        properties.put("uplink.keepalive-interval", "0");
        try (RunningBundle bundle = RunningBundle.start(properties).awaitConnected()) {
            assertTrue(bundle.context().getRoute("uplink-keepalive") == null);
            bundle.producer().sendBody("direct:telemetry", "{\"marker\": true}");
            shared.broker().await(p -> p.clientId().equals(clientId) && p.payloadText().contains("marker"), 1,
                    Duration.ofSeconds(20));
            assertTrue(shared.broker().received().stream().filter(p -> p.clientId().equals(clientId))
                    .noneMatch(p -> p.payloadText().contains("keepalive")));
        }
    }
}
