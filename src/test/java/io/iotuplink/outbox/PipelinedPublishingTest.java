package io.iotuplink.outbox;

import io.iotuplink.local.BrokerPolicy;
import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Publishes are pipelined: many await their PUBACK at once, never more than {@code uplink.max-inflight} nor the
 * receive maximum the broker granted in CONNACK, as the broker counts them; each reading arrives once, in order.
 * One broker granting a receive maximum of 5 serves the class; each test has its own client id and counts only
 * what that client did.
 */
class PipelinedPublishingTest {

    private static final String TELEMETRY = TestBroker.PREFIX + "/telemetry";
    private static final int GRANTED = 5;

    @TempDir
    static Path brokerDir;
    private static TestBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.startWithReceiveMaximum(brokerDir, GRANTED);
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void theWindowStaysWithinTheBrokersReceiveMaximum() {
        // max-inflight is 100, but the broker granted 5 in CONNACK
        publishSlowlyAcknowledged("bombercat-window-5", Map.of(), GRANTED);
    }

    @Test
    void theWindowStaysWithinMaxInflight() {
        // the broker grants 5, but max-inflight is 3
        publishSlowlyAcknowledged("bombercat-window-3", Map.of("uplink.max-inflight", "3"), 3);
    }

    @Test
    void publishesAwaitingTheirPubackWhenTheBundleStopsSettleAndLeaveTheOutbox() {
        broker.policy(BrokerPolicy.seed(TestBroker.PREFIX).delaying(TELEMETRY, Duration.ofMillis(400)));
        String clientId = "bombercat-stopping";
        Path data = dir.resolve("data-" + clientId);
        Map<String, String> properties = RunningBundle.properties(broker,
                broker.device(clientId, TestBroker.KeyForm.PKCS1), data);
        properties.put("uplink.max-publish-rate", "0");
        properties.put("aws.iot.client-id", clientId);
        try (RunningBundle bundle = RunningBundle.start(properties).awaitConnected()) {
            String readings = IntStream.range(0, GRANTED).mapToObj(i -> "{\"seq\": " + i + "}")
                    .collect(Collectors.joining(",", "[", "]"));
            assertEquals(202, bundle.http("POST", "/telemetry", "application/json", readings).statusCode());
            // all on the wire, their PUBACKs still to come: then the bundle stops
            broker.await(p -> p.clientId().equals(clientId) && p.topic().equals(TELEMETRY), GRANTED,
                    Duration.ofSeconds(30));
        }
        try (OutboxStore outbox = OutboxStore.open(data.resolve("outbox.db"), 1000, 1 << 20, WhenFull.REJECT)) {
            assertEquals(0, outbox.depth(), "the PUBACKs came in before the connection closed, and each"
                    + " acknowledged reading left the outbox (none goes out twice after a restart)");
        }
    }

    /**
     * Sends 60 readings the broker acknowledges 50 ms late: exactly {@code window} await their PUBACK at once, as
     * the broker and the bundle's metrics count them; each arrives once, oldest first, with no reconnect.
     */
    private void publishSlowlyAcknowledged(String clientId, Map<String, String> tuning, int window) {
        broker.policy(BrokerPolicy.seed(TestBroker.PREFIX).delaying(TELEMETRY, Duration.ofMillis(50)));
        Map<String, String> properties = RunningBundle.properties(broker,
                broker.device(clientId, TestBroker.KeyForm.PKCS1), dir.resolve("data-" + clientId));
        properties.put("uplink.max-publish-rate", "0");
        properties.put("uplink.max-bytes-rate", "0");
        properties.put("aws.iot.client-id", clientId);
        properties.putAll(tuning);
        try (RunningBundle bundle = RunningBundle.start(properties).awaitConnected()) {
            String readings = IntStream.range(0, 60).mapToObj(i -> "{\"seq\": " + i + "}")
                    .collect(Collectors.joining(",", "[", "]"));
            assertEquals(202, bundle.http("POST", "/telemetry", "application/json", readings).statusCode());

            broker.await(p -> p.clientId().equals(clientId) && p.topic().equals(TELEMETRY), 60,
                    Duration.ofSeconds(60));
            RunningBundle.await(() -> bundle.status().get("buffered").asInt() == 0, Duration.ofSeconds(30),
                    "an empty outbox once every PUBACK is in");
            TestBroker.sleep(500); // a duplicate would show up now
            List<ReceivedPublish> all = broker.received().stream()
                    .filter(p -> p.clientId().equals(clientId) && p.topic().equals(TELEMETRY)).toList();
            assertEquals(60, all.size(), "each reading published once");
            assertEquals(60, new HashSet<>(all.stream().map(p -> p.userProperties().get("message_id")).toList())
                    .size(), "60 distinct message ids");
            List<Integer> order = new ArrayList<>(all.stream()
                    .map(p -> RunningBundle.json(p.payloadText()).get("data").get("seq").asInt()).toList());
            // handed out in the outbox's order; the publishes of one window race to the wire (as AWS IoT Core's
            // own order does not hold either), so each lands within a window of its place
            for (int place = 0; place < order.size(); place++) {
                assertTrue(Math.abs(order.get(place) - place) < window, "reading " + order.get(place)
                        + " published at place " + place + ": " + order);
            }
            assertEquals(1, broker.connects().stream().filter(c -> c.clientId().equals(clientId)).count(),
                    "one connection: the broker never had to cut it off");
            assertEquals(window, broker.peakUnacknowledged(clientId), "publishes awaiting a PUBACK at the broker");
            assertEquals("uplink_publish_in_flight_peak " + window + ".0", bundle.http("GET", "/observe/metrics",
                    null, null).body().lines().filter(l -> l.startsWith("uplink_publish_in_flight_peak "))
                    .findFirst().orElse("no uplink_publish_in_flight_peak"), "the bundle's own window");
        }
    }
}
