package io.iotuplink.deploy;

import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code mvn package} builds, run as the README says ({@code java -jar target/iot-uplink.jar --local}): a
 * gateway-sized jar without the embedded broker, which {@code --local} loads from its own jar beside it. Runs after
 * the package phase (failsafe, in {@code mvn verify}).
 */
class RunnableJarIT {

    private static final Path JAR = Path.of("target", "iot-uplink.jar");
    private static final Path BROKER_JAR = Path.of("target", "iot-uplink-local-broker.jar");

    @TempDir
    Path dir;

    @Test
    void theJarIsGatewaySizedAndTheEmbeddedBrokerHasAJarOfItsOwn() throws IOException {
        long size = Files.size(JAR);
        assertTrue(size <= 30L * 1024 * 1024, "target/iot-uplink.jar is " + size / 1024 / 1024 + " MiB");
        try (ZipFile jar = new ZipFile(JAR.toFile()); ZipFile broker = new ZipFile(BROKER_JAR.toFile())) {
            List<String> brokerOnly = jar.stream().map(ZipEntry::getName)
                    .filter(n -> n.startsWith("com/hivemq/") || n.startsWith("org/rocksdb/")
                            || n.startsWith("com/google/common/") || n.startsWith("io/iotuplink/local/broker/")
                            || n.startsWith("org/sqlite/native/Windows/"))
                    .limit(5).toList();
            assertEquals(List.of(), brokerOnly, "the broker's libraries and foreign natives stay out");
            assertTrue(broker.getEntry("com/hivemq/embedded/EmbeddedHiveMQ.class") != null);
            assertTrue(broker.getEntry("io/iotuplink/local/broker/HiveMqBrokerService.class") != null);
            assertTrue(broker.getEntry("io/iotuplink/UplinkBundle.class") == null, "the bundle is in its own jar");
        }
    }

    @Test
    void localModeRunsFromTheJarWithTheBrokerBesideIt() throws Exception {
        int http = TestBroker.freePort();
        Map<String, String> env = Map.of("UPLINK_LOCAL_PORT", String.valueOf(TestBroker.freePort()),
                "CAMEL_SERVER_PORT", String.valueOf(http), "DEVICE_ID", "bombercat-jar",
                "UPLINK_KEEPALIVE_INTERVAL", "0");
        try (BundleProcess bundle = BundleProcess.startJar(dir, env, JAR, "--local")) {
            bundle.awaitOutput("MQTT connected", Duration.ofSeconds(90));
            // the built-in input routes, named from the jar's index (BuiltInRoutes)
            for (String route : List.of(" uplink-file-inbox,", " uplink-host-sample", "not started: uplink-serial")) {
                assertTrue(bundle.output().contains(route), route + " in " + bundle.output());
            }
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> accepted = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http
                    + "/telemetry")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"jar\": 21.5}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(202, accepted.statusCode(), accepted.body());
            String id = RunningBundle.json(accepted.body()).get("message_ids").get(0).asText();

            bundle.awaitOutput("message_id=" + id, Duration.ofSeconds(30));
            assertTrue(bundle.output().contains("\"data\":{\"jar\":21.5}"), bundle.output());
            HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http
                    + "/observe/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("uplink_connected 1.0"), metrics.body());

            bundle.terminate();
            assertEquals(0, bundle.waitForExit(Duration.ofSeconds(60)), bundle.output());
            assertFalse(bundle.output().contains("Exception"), bundle.output());
        }
    }

    @Test
    void withoutTheBrokersJarLocalExitsTwoWithOneLineSayingWhy() throws IOException {
        Path alone = Files.copy(JAR, Files.createDirectories(dir.resolve("alone")).resolve("iot-uplink.jar"));
        Map<String, String> env = Map.of("UPLINK_LOCAL_PORT", String.valueOf(TestBroker.freePort()),
                "CAMEL_SERVER_PORT", String.valueOf(TestBroker.freePort()));
        try (BundleProcess bundle = BundleProcess.startJar(dir, env, alone, "--local")) {
            assertEquals(2, bundle.waitForExit(Duration.ofSeconds(60)), bundle.output());
            assertTrue(bundle.output().contains("--local: " + alone.resolveSibling("iot-uplink-local-broker.jar")
                    + " is missing: the embedded MQTT broker comes in a jar of its own"), bundle.output());
            assertFalse(bundle.output().contains("\tat "), bundle.output());
        }
    }
}
