package io.iotuplink.inputs;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.connection.ConnectionState;
import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.PeerClient;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

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

    /** How many commands the flood sends: several times what the bundle may queue, and past Camel's default 1000. */
    private static final int FLOOD = 3_000;
    /** How long the flood may go without one more command answered or counted (a slow disk is no failure). */
    private static final Duration STALL = Duration.ofSeconds(30);

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(properties -> {
        try {
            Path routes = Files.createDirectories(Path.of(properties.get("uplink.data-dir")).resolveSibling("routes.d"));
            Files.writeString(routes.resolve("my-routes.camel.yaml"), USER_ROUTES);
            properties.put("uplink.routes-dir", routes.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // the flood's answers go out as fast as the broker takes them
        properties.put("uplink.max-publish-rate", "0");
        // before the bundle's first subscription: the broker hands it this retained command when it subscribes
        TestBroker broker = CommandsTest.uplink.broker();
        try (PeerClient early = new PeerClient(broker.port(), broker.device("early", TestBroker.KeyForm.PKCS1),
                "early", null)) {
            early.publish("bombercat/commands/reboot", "{\"correlation_id\": \"c-retained\"}", null, true);
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
    void aRetainedCommandIsAnsweredIgnoredOnceAndNeverRun() {
        JsonNode metadata = result("c-retained");
        assertEquals("reboot", metadata.get("command").asText());
        assertEquals("ignored", metadata.get("status").asText(), metadata.toString());

        // a new connection subscribes again, and the broker hands the retained command over again
        TestBroker broker = uplink.broker();
        int connects = broker.connects().size();
        broker.cutOff(BrokerAndBundle.CLIENT_ID);
        RunningBundle.await(() -> broker.connects().size() > connects
                && uplink.bundle().connection().state() == ConnectionState.CONNECTED, Duration.ofSeconds(20),
                "the bundle's new connection and subscription");
        cloud.publish("bombercat/commands/ping", "{\"correlation_id\": \"c-after-reconnect\"}", null);
        result("c-after-reconnect");

        Awaitility.await("no second answer to the retained command").during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(100))
                .until(() -> answers("c-retained").size(), n -> n == 1);
    }

    @Test
    void aFloodOfCommandsKeepsTheConnectionAndEachIsAnsweredOrCounted() {
        TestBroker broker = uplink.broker();
        int connects = broker.connects().size();
        Instant start = Instant.now();
        long refusedBefore = refusedCommands();
        int sentBefore = broker.sentTo(BrokerAndBundle.CLIENT_ID);
        int acknowledgedBefore = broker.acknowledgedBy(BrokerAndBundle.CLIENT_ID);
        long droppedBefore = droppedByTheBroker();

        for (int i = 0; i < FLOOD; i++) {
            cloud.publish("bombercat/commands/ping", "{\"correlation_id\": \"flood-" + i + "\"}", null);
        }

        // How long the answers take is the disk's: each is committed to the outbox (an fsync) before it goes out, on
        // the thread of one of the two command queues, which hold up to 200; so this waits as long as answers and
        // counts keep coming, and fails when they stop short (a command lost, or stuck)
        // (a command the broker dropped, its queue for the bundle full under the flood, never reached the bundle: it
        // is counted at the broker; the bundle answers or counts every one it was sent)
        long accounted = 0;
        while (accounted < FLOOD) {
            long before = accounted;
            try {
                accounted = Awaitility.await("an answer or a count for one more of " + FLOOD + " commands")
                        .atMost(STALL).pollInterval(Duration.ofMillis(200))
                        .until(() -> floodAnswers().size() + refusedCommands() - refusedBefore
                                + droppedByTheBroker() - droppedBefore, n -> n > before);
            } catch (ConditionTimeoutException e) {
                throw new AssertionError(before + " of " + FLOOD + " commands answered or counted, then nothing for "
                        + STALL.toSeconds() + " s; " + whereTheRestIs(sentBefore, acknowledgedBefore, refusedBefore), e);
            }
        }
        Map<String, String> answered = floodAnswers();
        int sent = broker.sentTo(BrokerAndBundle.CLIENT_ID) - sentBefore;
        assertEquals(sent, answered.size() + refusedCommands() - refusedBefore, () -> "of the " + sent + " commands"
                + " the broker sent the bundle: " + answered.values().stream()
                .collect(Collectors.groupingBy(s -> s, Collectors.counting())) + " and refused "
                + (refusedCommands() - refusedBefore));
        assertTrue(sent >= FLOOD / 2, "the broker sent the bundle most of the flood: " + sent);
        assertEquals(Set.of(), answered.values().stream().filter(s -> !s.equals("ok") && !s.equals("busy"))
                .collect(Collectors.toSet()), "statuses other than ok and busy");
        assertEquals(connects, broker.connects().size(), "CONNECTs during the flood");
        assertEquals(List.of(), uplink.bundle().connection().history().stream()
                .filter(e -> !e.timestamp().isBefore(start)).toList(), "connection history during the flood");
        assertEquals(ConnectionState.CONNECTED, uplink.bundle().connection().state());
    }

    /** Where the commands neither answered nor counted may be: at the broker, in the bundle, in its outbox. */
    private static String whereTheRestIs(int sentBefore, int acknowledgedBefore, long refusedBefore) {
        TestBroker broker = uplink.broker();
        JsonNode status = uplink.bundle().status();
        return "the broker sent the bundle " + (broker.sentTo(BrokerAndBundle.CLIENT_ID) - sentBefore)
                + " commands (it acknowledged " + (broker.acknowledgedBy(BrokerAndBundle.CLIENT_ID)
                - acknowledgedBefore) + ") and dropped " + broker.dropped() + "; answers " + floodAnswers().values().stream()
                .collect(Collectors.groupingBy(s -> s, Collectors.counting())) + ", refused "
                + (refusedCommands() - refusedBefore) + "; the bundle: connection " + status.path("connection_status")
                + ", " + status.path("buffered") + " readings in its outbox, " + status.path("failed")
                + " publishes failed, inputs.command " + status.path("inputs").path("command");
    }

    /** Each flood command's correlation id and the status it was answered with. */
    private static Map<String, String> floodAnswers() {
        Map<String, String> answers = new HashMap<>();
        for (ReceivedPublish p : uplink.broker().received()) {
            if (p.topic().equals("bombercat/events") && p.payloadText().contains("\"correlation_id\":\"flood-")) {
                JsonNode metadata = RunningBundle.json(p.payloadText()).get("metadata");
                answers.put(metadata.get("correlation_id").asText(), metadata.get("status").asText());
            }
        }
        return answers;
    }

    private static List<JsonNode> answers(String correlationId) {
        return uplink.broker().received().stream()
                .filter(p -> p.topic().equals("bombercat/events")
                        && p.payloadText().contains("\"correlation_id\":\"" + correlationId + "\""))
                .map(p -> RunningBundle.json(p.payloadText()).get("metadata")).toList();
    }

    private static long droppedByTheBroker() {
        return uplink.broker().dropped().values().stream().mapToLong(Long::longValue).sum();
    }

    private static long refusedCommands() {
        JsonNode command = uplink.bundle().status().path("inputs").path("command");
        return command.path("refused").asLong();
    }

    @Test
    void anInputRouteDroppedIntoTheRoutesDirectoryPublishes() {
        String payload = uplink.broker().await(p -> p.payloadText().contains("\"sensor\":\"my-sensor\""), 1,
                Duration.ofSeconds(20)).get(0).payloadText();

        assertTrue(payload.endsWith("\"data\":{\"sensor\":\"my-sensor\",\"value\":7}}"), payload);
    }
}
