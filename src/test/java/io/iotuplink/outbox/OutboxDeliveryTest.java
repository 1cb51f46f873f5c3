package io.iotuplink.outbox;

import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.SharedBroker;
import io.iotuplink.support.TestBroker;
import io.iotuplink.support.TlsRecordRelay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nothing accepted is lost: not when the broker goes away mid-stream, not when the bundle is killed. One broker
 * serves the class; the bundle reaches it through a relay that goes down and comes back on its port as a broker does.
 */
class OutboxDeliveryTest {

    @RegisterExtension
    static final SharedBroker shared = new SharedBroker();

    @TempDir
    Path dir;

    private static Set<String> ids(List<ReceivedPublish> received) {
        return received.stream().map(p -> p.userProperties().get("message_id")).collect(Collectors.toSet());
    }

    @Test
    void aBrokerOutageInTheMiddleOfAStreamLosesNothing() throws Exception {
        TlsRecordRelay link = TlsRecordRelay.to(shared.broker().port());
        Map<String, String> properties = RunningBundle.properties("localhost:" + link.port(),
                shared.broker().device("bombercat-outage", TestBroker.KeyForm.PKCS1), dir.resolve("data"));
        properties.put("uplink.reconnect.max-delay", "2s");
        // one publish at a time: the order on the wire is the outbox's (with more, a window's worth race each other)
        properties.put("uplink.max-inflight", "1");
        List<String> accepted = new ArrayList<>();
        int beforeOutage = 0;
        try (link; RunningBundle bundle = RunningBundle.start(properties).awaitConnected()) {
            for (int i = 0; i < 30; i++) {
                if (i == 10) {
                    link.cut();
                    beforeOutage = shared.broker().receivedCount();
                }
                HttpResponse<String> response = bundle.http("POST", "/telemetry", "application/json",
                        "{\"seq\": " + i + "}");
                assertEquals(202, response.statusCode(), response.body());
                accepted.add(RunningBundle.json(response.body()).get("message_ids").get(0).asText());
                TestBroker.sleep(30);
            }
            assertTrue(bundle.status().get("buffered").asInt() > 0, "readings wait in the outbox");

            link.restore();
            RunningBundle.await(() -> ids(shared.broker().received()).containsAll(accepted), Duration.ofSeconds(60),
                    "every accepted reading at the broker");
            RunningBundle.await(() -> bundle.status().get("buffered").asInt() == 0, Duration.ofSeconds(10),
                    "an empty outbox");
            List<String> states = new ArrayList<>();
            bundle.status().get("history").forEach(e -> states.add(e.get("state").asText()));
            assertEquals(List.of("connecting", "connected", "reconnecting"), states.subList(0, 3), states.toString());
            assertEquals("connected", states.get(states.size() - 1), states.toString());
            assertTrue(bundle.status().get("history").get(2).get("error").asText().length() > 0,
                    "the lost connection says why");
            List<ReceivedPublish> all = shared.broker().received();
            List<ReceivedPublish> afterOutage = all.subList(beforeOutage, all.size());
            List<Integer> order = afterOutage.stream()
                    .map(p -> RunningBundle.json(p.payloadText()).get("data").get("seq").asInt()).toList();
            List<Integer> sorted = new ArrayList<>(order);
            sorted.sort(Integer::compare);
            assertEquals(sorted, order, "the backlog drains oldest first");
        }
    }

    @ParameterizedTest(name = "stopped with {0}")
    @ValueSource(strings = {"SIGKILL", "SIGTERM"})
    void readingsAcceptedWhileOfflineSurviveTheProcess(String signal) throws Exception {
        TestBroker.DeviceFiles device = shared.broker().device("bombercat-kill", TestBroker.KeyForm.PKCS1);
        int notYetListening = TestBroker.freePort();
        Map<String, String> env = BundleProcess.environment(
                RunningBundle.properties("localhost:" + notYetListening, device, dir.resolve("data")));
        int httpPort = Integer.parseInt(env.get("CAMEL_SERVER_PORT"));
        List<String> accepted = new ArrayList<>();

        try (BundleProcess bundle = BundleProcess.start(dir.resolve("run-1"), env, BundleProcess.SHORT_LIVED_JVM)) {
            bundle.awaitOutput("HTTP API on http://", Duration.ofSeconds(60));
            HttpClient http = HttpClient.newHttpClient();
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + httpPort + "/telemetry"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"killed\": " + i + "}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(202, response.statusCode(), response.body());
                accepted.add(RunningBundle.json(response.body()).get("message_ids").get(0).asText());
            }
            if (signal.equals("SIGKILL")) {
                bundle.kill();
                assertEquals(137, bundle.waitForExit(Duration.ofSeconds(30)));
            } else {
                bundle.terminate();
                assertEquals(0, bundle.waitForExit(Duration.ofSeconds(30)), bundle.output());
                String output = bundle.output();
                assertTrue(output.lastIndexOf("MQTT disconnecting") < output.lastIndexOf("MQTT disconnected"), output);
            }
        }

        try (TlsRecordRelay back = TlsRecordRelay.from(notYetListening, shared.broker().port());
             BundleProcess again = BundleProcess.start(dir.resolve("run-2"), env, BundleProcess.SHORT_LIVED_JVM)) {
            RunningBundle.await(() -> ids(shared.broker().received()).containsAll(accepted), Duration.ofSeconds(60),
                    "every reading accepted before the kill");
            assertTrue(again.output().contains("holds 20 reading(s) from before"), again.output());
            Set<String> seen = new HashSet<>();
            for (ReceivedPublish p : shared.broker().received()) {
                if (!accepted.contains(p.userProperties().get("message_id"))) {
                    continue; // the other signal's run
                }
                assertTrue(p.payloadText().matches("\\{\"timestamp\":\\d+\\.\\d{3},.*"), "the accepted time travels");
                seen.add(p.userProperties().get("message_id"));
            }
            assertTrue(seen.containsAll(accepted));
        }
    }
}
