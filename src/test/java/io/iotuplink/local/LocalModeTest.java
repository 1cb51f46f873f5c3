package io.iotuplink.local;

import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code java -jar iot-uplink.jar --local} as a newcomer runs it: no AWS account, the whole flow in the log. */
class LocalModeTest {

    @TempDir
    Path dir;

    @Test
    void localModePublishesToTheEmbeddedBrokerAndStopsCleanlyOnSigterm() throws Exception {
        int httpPort = TestBroker.freePort();
        Map<String, String> env = Map.of(
                "UPLINK_LOCAL_PORT", String.valueOf(TestBroker.freePort()),
                "CAMEL_SERVER_PORT", String.valueOf(httpPort),
                "DEVICE_ID", "bombercat-local",
                "UPLINK_KEEPALIVE_INTERVAL", "1s");

        try (BundleProcess bundle = BundleProcess.start(dir, env, "--local")) {
            bundle.awaitOutput("MQTT connected", Duration.ofSeconds(60));
            String start = bundle.output().substring(0, bundle.output().indexOf("MQTT connected"));
            List<String> info = start.lines().filter(line -> line.contains(" INFO ")).toList();
            assertTrue(info.size() <= 15, info.size() + " INFO lines before connected:\n" + start);
            assertEquals(List.of(), info.stream().filter(line -> !line.matches(".* INFO  \\[[^]]*] i\\.i.*")).toList(),
                    "only the bundle's own lines at INFO");
            assertTrue(start.contains("HTTP API on http://127.0.0.1:" + httpPort + ": "), start);
            assertFalse(start.contains("0.0.0.0"), start);
            assertTrue(bundle.output().contains("iot-uplink publishes to localhost:" + env.get("UPLINK_LOCAL_PORT")
                    + " (bombercat/telemetry, bombercat/events) as client id 'bombercat-local'"), bundle.output());

            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + httpPort + "/telemetry"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"temperature\": 25.5}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(202, response.statusCode(), response.body());
            String id = RunningBundle.json(response.body()).get("message_ids").get(0).asText();

            bundle.awaitOutput("broker received bombercat/telemetry QoS 1 message_id=" + id
                    + ": {\"timestamp\":", Duration.ofSeconds(20));
            bundle.awaitOutput("\"device_id\":\"bombercat-local\",\"event\":\"keepalive\",\"metadata\":{\"uptime\":",
                    Duration.ofSeconds(20));

            bundle.terminate();
            assertEquals(0, bundle.waitForExit(Duration.ofSeconds(60)), bundle.output());
            String output = bundle.output();
            assertTrue(output.indexOf("MQTT disconnecting") < output.indexOf("MQTT disconnected"), output);
            assertTrue(Files.isRegularFile(dir.resolve("data/local-pki/private.pem.key")));
            assertTrue(Files.readString(dir.resolve("data/local-pki/private.pem.key"))
                    .startsWith("-----BEGIN RSA PRIVATE KEY-----"), "a PKCS#1 key, as the AWS console hands out");
            assertTrue(!output.contains("PRIVATE KEY"), "no key material in the log");
        }
    }
}
