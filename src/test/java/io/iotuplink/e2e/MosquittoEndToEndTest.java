package io.iotuplink.e2e;

import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.Mosquitto;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.Subscriber;
import io.iotuplink.support.TestBroker;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bundle as a user runs it (its own JVM, environment variables) against Mosquitto with mutual TLS and an ACL
 * like the seed's policy; a separate subscriber checks what arrives.
 */
class MosquittoEndToEndTest {

    @TempDir
    Path dir;

    @Test
    void readingsCrossARealBrokerIntactAndARefusedTopicIsDeadLettered() throws Exception {
        try (Mosquitto mosquitto = Mosquitto.start(dir.resolve("mosquitto"), List.of(
                "user bombercat-e2e",
                "topic write bombercat/telemetry",
                "topic write bombercat/events",
                "user observer",
                "topic read bombercat/#"))) {
            TestBroker.DeviceFiles device = mosquitto.device("bombercat-e2e");
            int httpPort = TestBroker.freePort();
            Map<String, String> env = new HashMap<>();
            env.put("AWS_IOT_ENDPOINT", "localhost:" + mosquitto.port());
            env.put("AWS_IOT_CERT_PATH", device.certificate().toString());
            env.put("AWS_IOT_KEY_PATH", device.key().toString());
            env.put("AWS_IOT_CA_PATH", device.ca().toString());
            env.put("AWS_IOT_CLIENT_ID", "bombercat-e2e");
            env.put("DEVICE_ID", "bombercat-001");
            env.put("UPLINK_KEEPALIVE_INTERVAL", "0");
            env.put("UPLINK_PUBLISH_RETRY_INITIAL_DELAY", "100ms");
            env.put("CAMEL_SERVER_PORT", String.valueOf(httpPort));

            try (Subscriber observer = new Subscriber(mosquitto.port(), mosquitto.device("observer"), "observer",
                    "bombercat/#");
                 BundleProcess bundle = BundleProcess.start(dir.resolve("bundle"), env)) {
                bundle.awaitOutput("MQTT connected", Duration.ofSeconds(60));

                String id = acceptedId(post(httpPort, "/telemetry", "{\"temperature\": 25.5}"));
                Subscriber.Received telemetry = observer.await(r -> r.topic().equals("bombercat/telemetry"),
                        Duration.ofSeconds(20));

                assertTrue(telemetry.text().matches("\\{\"timestamp\":\\d+\\.\\d{3},\"device_id\":\"bombercat-001\","
                        + "\"data\":\\{\"temperature\":25\\.5}}"), telemetry.text());
                assertEquals(1, telemetry.message().getQos());
                assertFalse(telemetry.message().isRetained());
                assertEquals("application/json", telemetry.message().getProperties().getContentType());
                assertTrue(telemetry.message().getProperties().getPayloadFormat());
                assertTrue(telemetry.message().getProperties().getUserProperties()
                        .contains(new UserProperty("message_id", id)));

                String eventId = acceptedId(post(httpPort, "/events/temperature_alert", "{\"severity\": \"warning\"}"));
                Subscriber.Received event = observer.await(r -> r.topic().equals("bombercat/events"),
                        Duration.ofSeconds(20));
                assertTrue(event.text().endsWith("\"event\":\"temperature_alert\",\"metadata\":{\"severity\":\"warning\"}}"),
                        event.text());
                assertTrue(event.message().getProperties().getUserProperties()
                        .contains(new UserProperty("message_id", eventId)));

                bundle.terminate();
                assertEquals(0, bundle.waitForExit(Duration.ofSeconds(60)), bundle.output());
            }
        }
    }

    @Test
    void aTopicTheAclRefusesFailsAndIsKeptWithItsReason() throws Exception {
        try (Mosquitto mosquitto = Mosquitto.start(dir.resolve("mosquitto"), List.of(
                "user bombercat-e2e",
                "topic write bombercat/telemetry",
                "topic write bombercat/events"))) {
            TestBroker.DeviceFiles device = mosquitto.device("bombercat-e2e");
            int httpPort = TestBroker.freePort();
            Path data = dir.resolve("data");
            Map<String, String> env = new HashMap<>();
            env.put("AWS_IOT_ENDPOINT", "localhost:" + mosquitto.port());
            env.put("AWS_IOT_CERT_PATH", device.certificate().toString());
            env.put("AWS_IOT_KEY_PATH", device.key().toString());
            env.put("AWS_IOT_CA_PATH", device.ca().toString());
            env.put("AWS_IOT_CLIENT_ID", "bombercat-e2e");
            env.put("UPLINK_TOPIC_PREFIX", "elsewhere");
            env.put("UPLINK_KEEPALIVE_INTERVAL", "0");
            env.put("UPLINK_DATA_DIR", data.toString());
            env.put("CAMEL_SERVER_PORT", String.valueOf(httpPort));

            try (BundleProcess bundle = BundleProcess.start(dir.resolve("bundle"), env)) {
                bundle.awaitOutput("MQTT connected", Duration.ofSeconds(60));

                String id = acceptedId(post(httpPort, "/telemetry", "{\"refused\": true}"));

                Path reason = data.resolve("dead-letter").resolve(id + ".reason");
                RunningBundle.await(() -> Files.exists(reason), Duration.ofSeconds(20), "the dead letter");
                assertTrue(Files.readString(reason).contains("PUBACK 0x87 not authorized"), Files.readString(reason));
                assertTrue(Files.readString(data.resolve("dead-letter").resolve(id + ".json"))
                        .contains("\"data\":{\"refused\":true}"));
            }
        }
    }

    private static HttpResponse<String> post(int port, String path, String json) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, response.statusCode(), response.body());
        return response;
    }

    private static String acceptedId(HttpResponse<String> response) {
        return RunningBundle.json(response.body()).get("message_ids").get(0).asText();
    }
}
