package io.iotuplink.inputs;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.PeerClient;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Commands from the cloud on {prefix}/commands/{name}, answered with the command_result event. */
class CommandsTest {

    private static final String USER_ROUTES = """
            - route:
                id: command-reboot
                from:
                  uri: direct:command-reboot
                  steps:
                    - setBody:
                        expression:
                          constant:
                            expression: '{"rebooting": true}'
            - route:
                id: command-explode
                from:
                  uri: direct:command-explode
                  steps:
                    - throwException:
                        exceptionType: java.lang.IllegalStateException
                        message: the device is on fire
            - route:
                id: my-sensor
                from:
                  uri: timer:my-sensor
                  parameters:
                    repeatCount: 1
                  steps:
                    - setBody:
                        expression:
                          constant:
                            expression: '{"sensor": "my-sensor", "value": 7}'
                    - to:
                        uri: direct:telemetry
            """;

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(properties -> {
        try {
            Path routes = Files.createDirectories(Path.of(properties.get("uplink.data-dir")).resolveSibling("routes.d"));
            Files.writeString(routes.resolve("my-routes.camel.yaml"), USER_ROUTES);
            properties.put("uplink.routes-dir", routes.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    });
    static PeerClient cloud;

    @BeforeAll
    static void cloud() {
        TestBroker broker = uplink.broker();
        RunningBundle.await(() -> broker.connects().size() >= 1, Duration.ofSeconds(10), "the bundle's CONNECT");
        cloud = new PeerClient(broker.port(), broker.device("cloud", TestBroker.KeyForm.PKCS1), "cloud", null);
    }

    @AfterAll
    static void closeCloud() {
        if (cloud != null) {
            cloud.close();
        }
    }

    private static JsonNode result(String correlationId) {
        String payload = uplink.broker().await(p -> p.topic().equals("bombercat/events")
                        && p.payloadText().contains("\"command_result\"")
                        && p.payloadText().contains("\"correlation_id\":\"" + correlationId + "\""), 1,
                Duration.ofSeconds(20)).get(0).payloadText();
        return RunningBundle.json(payload).get("metadata");
    }

    @Test
    void pingAnswersPongWithThePayloadsCorrelationId() {
        cloud.publish("bombercat/commands/ping", "{\"correlation_id\": \"c-ping\"}", null);

        JsonNode metadata = result("c-ping");

        assertEquals("{\"command\":\"ping\",\"status\":\"ok\",\"result\":{\"pong\":true},\"correlation_id\":\"c-ping\"}",
                metadata.toString());
    }

    @Test
    void statusAnswersTheStatusAndFallsBackToMqttCorrelationData() {
        cloud.publish("bombercat/commands/status", "{}", "c-status");

        JsonNode metadata = result("c-status");

        assertEquals("ok", metadata.get("status").asText());
        assertEquals("connected", metadata.get("result").get("connection_status").asText());
        assertEquals(BrokerAndBundle.CLIENT_ID, metadata.get("result").get("client_id").asText());
    }

    @Test
    void aRouteFromDirectCommandNameMakesACommand() {
        cloud.publish("bombercat/commands/reboot", "{\"correlation_id\": \"c-reboot\", \"delay\": 5}", null);

        JsonNode metadata = result("c-reboot");

        assertEquals("ok", metadata.get("status").asText());
        assertEquals("{\"rebooting\":true}", metadata.get("result").toString());
    }

    @Test
    void aCommandRouteThatFailsAnswersError() {
        cloud.publish("bombercat/commands/explode", "{\"correlation_id\": \"c-explode\"}", null);

        JsonNode metadata = result("c-explode");

        assertEquals("error", metadata.get("status").asText());
        assertTrue(metadata.get("result").get("error").asText().contains("the device is on fire"), metadata.toString());
    }

    @Test
    void anythingElseIsUnknown() {
        cloud.publish("bombercat/commands/self_destruct", "{\"correlation_id\": \"c-unknown\"}", null);

        JsonNode metadata = result("c-unknown");

        assertEquals("{\"command\":\"self_destruct\",\"status\":\"unknown\",\"result\":{},"
                + "\"correlation_id\":\"c-unknown\"}", metadata.toString());
    }

    @Test
    void anInputRouteDroppedIntoTheRoutesDirectoryPublishes() {
        String payload = uplink.broker().await(p -> p.payloadText().contains("\"sensor\":\"my-sensor\""), 1,
                Duration.ofSeconds(20)).get(0).payloadText();

        assertTrue(payload.endsWith("\"data\":{\"sensor\":\"my-sensor\",\"value\":7}}"), payload);
    }
}
