package io.iotuplink.e2e;

import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.Mosquitto;
import io.iotuplink.support.PeerClient;
import io.iotuplink.support.RunningBundle;
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
            Map<String, String> env = environment(mosquitto, dir.resolve("data"));
            int httpPort = Integer.parseInt(env.get("CAMEL_SERVER_PORT"));

            try (PeerClient observer = new PeerClient(mosquitto.port(), mosquitto.device("observer"), "observer",
                    "bombercat/#");
                 BundleProcess bundle = BundleProcess.start(dir.resolve("bundle"), env)) {
                bundle.awaitOutput("MQTT connected", Duration.ofSeconds(60));

                String id = acceptedId(post(httpPort, "/telemetry", "{\"temperature\": 25.5}"));
                PeerClient.Received telemetry = observer.await(r -> r.topic().equals("bombercat/telemetry"),
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
                PeerClient.Received event = observer.await(r -> r.topic().equals("bombercat/events"),
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
            Path data = dir.resolve("data");
            Map<String, String> env = environment(mosquitto, data);
            env.put("UPLINK_TOPIC_PREFIX", "elsewhere");
            int httpPort = Integer.parseInt(env.get("CAMEL_SERVER_PORT"));

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

    /** The device {@code bombercat-e2e}: mosquitto takes the certificate's CN as the user its ACL names. */
    private static Map<String, String> environment(Mosquitto mosquitto, Path data) {
        return BundleProcess.environment(RunningBundle.properties("localhost:" + mosquitto.port(),
                mosquitto.device("bombercat-e2e"), data));
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
