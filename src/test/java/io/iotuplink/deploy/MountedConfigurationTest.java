package io.iotuplink.deploy;

import io.iotuplink.local.BrokerPolicy;
import io.iotuplink.local.ReceivedPublish;
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
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A ConfigMap mounted as files (the image's {@code /etc/iot-uplink/config}, Camel K's
 * {@code /etc/camel/conf.d/_configmaps/...}) configures the bundle through camel-main's cloud properties location;
 * an environment variable (a pod's own client id) still wins over it.
 */
class MountedConfigurationTest {

    @TempDir
    Path dir;

    @Test
    void aMountedConfigMapConfiguresTheBundleAndTheEnvironmentStillWins() throws Exception {
        try (TestBroker broker = TestBroker.start(dir.resolve("broker"))) {
            broker.policy(BrokerPolicy.seed("fleet-a"));
            // laid out as the kubelet mounts a ConfigMap: symbolic links to a timestamped directory
            Path config = Files.createDirectories(dir.resolve("config"));
            Path data = Files.createDirectories(config.resolve("..2026_11_24_09_00_00.123"));
            Files.writeString(data.resolve("application.properties"), """
                    uplink.topic-prefix = overridden-by-the-environment
                    device.id = gateway-from-configmap
                    """);
            Files.createSymbolicLink(config.resolve("..data"), data.getFileName());
            Files.createSymbolicLink(config.resolve("application.properties"),
                    Path.of("..data", "application.properties"));
            Map<String, String> env = BundleProcess.environment(RunningBundle.properties(broker,
                    broker.device("fleet-a-gw-0", TestBroker.KeyForm.PKCS8), dir.resolve("data")));
            env.put("AWS_IOT_CLIENT_ID", "fleet-a-gw-0");
            env.put("UPLINK_TOPIC_PREFIX", "fleet-a");
            env.remove("DEVICE_ID");
            env.put("CAMEL_MAIN_CLOUD_PROPERTIES_LOCATION", config.toString());
            int httpPort = Integer.parseInt(env.get("CAMEL_SERVER_PORT"));

            try (BundleProcess bundle = BundleProcess.start(dir.resolve("bundle"), env)) {
                bundle.awaitOutput("MQTT connected", Duration.ofSeconds(60));
                HttpResponse<String> response = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/telemetry"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"pressure\": 1013}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(202, response.statusCode(), response.body());

                ReceivedPublish publish = broker.awaitOne("fleet-a/telemetry");
                assertEquals("gateway-from-configmap",
                        RunningBundle.json(publish.payloadText()).get("device_id").asText());
                assertEquals("fleet-a-gw-0", publish.clientId());
            }
        }
    }
}
