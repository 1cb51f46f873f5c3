package io.iotuplink.e2e;

import io.iotuplink.local.BrokerPolicy;
import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SIGTERM while a reading is still being retried: the reading is delivered before the process exits 0. */
class GracefulStopTest {

    @TempDir
    Path dir;

    @Test
    void sigtermLetsAnInFlightPublishFinishThenExitsZero() throws Exception {
        try (TestBroker broker = TestBroker.start(dir.resolve("broker"))) {
            broker.policy(BrokerPolicy.seed(TestBroker.PREFIX).refusing("bombercat/telemetry", 0x97));
            TestBroker.DeviceFiles device = broker.device("bombercat-stop", TestBroker.KeyForm.PKCS1);
            Map<String, String> env = BundleProcess.environment(
                    RunningBundle.properties(broker, device, dir.resolve("data")));
            int httpPort = Integer.parseInt(env.get("CAMEL_SERVER_PORT"));
            env.put("UPLINK_PUBLISH_RETRY_INITIAL_DELAY", "300ms");
            env.put("UPLINK_PUBLISH_RETRY_MULTIPLIER", "1");
            env.put("UPLINK_PUBLISH_RETRY_MAX_ATTEMPTS", "50");

            try (BundleProcess bundle = BundleProcess.start(dir.resolve("bundle"), env)) {
                bundle.awaitOutput("MQTT connected", Duration.ofSeconds(60));
                CompletableFuture<HttpResponse<String>> response = HttpClient.newHttpClient().sendAsync(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/telemetry"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"in_flight\": true}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                bundle.awaitOutput("0x97 quota exceeded", Duration.ofSeconds(20));

                bundle.terminate();
                bundle.awaitOutput("is shutting down", Duration.ofSeconds(20));
                broker.policy(BrokerPolicy.seed(TestBroker.PREFIX));

                assertEquals(202, response.get(30, TimeUnit.SECONDS).statusCode());
                String id = RunningBundle.json(response.get().body()).get("message_ids").get(0).asText();
                try {
                    assertEquals(id, broker.awaitOne("bombercat/telemetry").userProperties().get("message_id"));
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\nthe bundle said:\n" + bundle.output(), e);
                }
                assertEquals(0, bundle.waitForExit(Duration.ofSeconds(60)), bundle.output());
                String output = bundle.output();
                assertTrue(output.indexOf("MQTT disconnecting") < output.indexOf("MQTT disconnected"), output);
            }
        }
    }
}
