package io.iotuplink.connection;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.support.PeerClient;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.SharedBroker;
import io.iotuplink.support.TestBroker;
import io.iotuplink.support.TlsRecordRelay;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
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
 * The connection lifecycle as an operator sees and steers it. One broker serves the whole class (each test has its
 * own client id); "no broker there yet" is a port nothing listens on, where a relay to the broker opens later.
 */
class ConnectionControlTest {

    @RegisterExtension
    static final SharedBroker shared = new SharedBroker();

    @TempDir
    Path dir;

    private Map<String, String> properties(TestBroker broker, String clientId) {
        return properties("localhost:" + broker.port(), clientId);
    }

    /** Properties for a device the broker knows, connecting to {@code endpoint}. */
    private Map<String, String> properties(String endpoint, String clientId) {
        Map<String, String> p = RunningBundle.properties(endpoint,
                shared.broker().device(clientId, TestBroker.KeyForm.PKCS1), dir.resolve("data"));
        p.put("aws.iot.client-id", clientId);
        return p;
    }

    @Test
    void reconnectAttemptsAreNeverCloserThanOneSecond() {
        Map<String, String> p = properties("localhost:" + TestBroker.freePort(), "bombercat-spacing");
        p.put("uplink.reconnect.initial-delay", "10ms");
        p.put("uplink.reconnect.multiplier", "1");
        p.put("uplink.reconnect.jitter", "0");
        p.put("uplink.reconnect.max-attempts", "50");
        try (RunningBundle bundle = RunningBundle.start(p)) {
            RunningBundle.await(() -> failures(bundle).size() >= 4, Duration.ofSeconds(20), "four failed attempts");

            List<ConnectionEvent> failures = failures(bundle);
            for (int i = 1; i < failures.size(); i++) {
                long gap = Duration.between(failures.get(i - 1).timestamp(), failures.get(i).timestamp()).toMillis();
                assertTrue(gap >= 980, "attempts " + gap + " ms apart: " + failures);
            }
            assertEquals(0, bundle.status().get("connect_successes").asInt());
            assertTrue(bundle.status().get("connect_attempts").asInt() >= 4);
        }
    }

    private static List<ConnectionEvent> failures(RunningBundle bundle) {
        return bundle.connection().history().stream().filter(e -> e.error() != null).toList();
    }

    @Test
    void readinessFollowsTheConnectionAndLivenessDoesNot() throws IOException {
        int notYetListening = TestBroker.freePort();
        Map<String, String> p = properties("localhost:" + notYetListening, "bombercat-ready");
        p.put("uplink.reconnect.max-delay", "1s");
        try (RunningBundle bundle = RunningBundle.start(p)) {
            RunningBundle.await(() -> bundle.http("GET", "/observe/health/live", null, null).statusCode() == 200,
                    Duration.ofSeconds(10), "liveness UP");
            HttpResponse<String> ready = bundle.http("GET", "/observe/health/ready", null, null);
            assertEquals(503, ready.statusCode(), ready.body());
            assertTrue(ready.body().contains("mqtt-connection"), ready.body());

            try (TlsRecordRelay back = TlsRecordRelay.from(notYetListening, shared.broker().port())) {
                RunningBundle.await(() -> bundle.http("GET", "/observe/health/ready", null, null).statusCode() == 200,
                        Duration.ofSeconds(30), "readiness UP once connected");
            }
        }
    }

    @Test
    void reconnectionCanBeSwitchedOffAndOnWhileRunning() throws IOException {
        try (TlsRecordRelay link = TlsRecordRelay.to(shared.broker().port());
             RunningBundle bundle = RunningBundle.start(properties("localhost:" + link.port(), "bombercat-switch"))
                     .awaitConnected()) {
            HttpResponse<String> off = bundle.http("POST", "/connection", "application/json", "{\"reconnect\": false}");
            assertEquals(200, off.statusCode(), off.body());
            assertEquals(false, RunningBundle.json(off.body()).get("reconnect").asBoolean());

            link.cut();
            RunningBundle.await(() -> bundle.connection().state() == ConnectionState.DISCONNECTED,
                    Duration.ofSeconds(20), "disconnected without reconnecting");
            long attempts = bundle.status().get("connect_attempts").asLong();
            int connects = shared.broker().connects().size();
            // switched on, the first attempt would come 1 s (uplink.reconnect.initial-delay) after the loss
            Awaitility.await("no attempt while switched off").during(Duration.ofMillis(1500))
                    .atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(100))
                    .until(() -> bundle.status().get("connect_attempts").asLong() == attempts);
            assertEquals(connects, shared.broker().connects().size(),
                    "no CONNECT reached the broker while switched off");

            link.restore();
            bundle.http("POST", "/connection", "application/json", "{\"reconnect\": true}");
            bundle.awaitConnected();
            assertEquals(400, bundle.http("POST", "/connection", "application/json", "{\"reconnect\": 1}")
                    .statusCode());
        }
    }

    @Test
    void withReconnectionOffALostConnectionSaysWhyOnceAndOnlyReadinessGoesDown() {
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        try (RunningBundle bundle = RunningBundle.start(properties(shared.broker(), "bombercat-off"))
                .awaitConnected()) {
            logged.start();
            root.addAppender(logged);
            assertEquals(200, bundle.http("POST", "/connection", "application/json", "{\"reconnect\": false}")
                    .statusCode());

            shared.broker().cutOff("bombercat-off");
            RunningBundle.await(() -> bundle.connection().state() == ConnectionState.DISCONNECTED,
                    Duration.ofSeconds(20), "disconnected");

            JsonNode status = bundle.status();
            assertEquals("disconnected", status.get("connection_status").asText(), status.toString());
            assertFalse(status.get("connected").asBoolean());
            assertFalse(status.get("reconnect_enabled").asBoolean());
            assertTrue(status.get("connection_reason").asText().contains("reconnect disabled"), status.toString());
            assertEquals(202, bundle.http("POST", "/telemetry", "application/json", "{\"t\": 1}").statusCode());
            HttpResponse<String> live = bundle.http("GET", "/observe/health/live", null, null);
            assertEquals(200, live.statusCode(), live.body());
            HttpResponse<String> ready = bundle.http("GET", "/observe/health/ready", null, null);
            assertEquals(503, ready.statusCode(), ready.body());
            // a retry, were there one, would come 1 s (uplink.reconnect.initial-delay) after the loss
            Awaitility.await("one WARN saying reconnect disabled, not repeated").during(Duration.ofMillis(1500))
                    .atMost(Duration.ofSeconds(5)).until(() -> warningsSaying(logged, "reconnect disabled") == 1);
        } finally {
            root.detachAppender(logged);
        }
    }

    private static long warningsSaying(ListAppender<ILoggingEvent> logged, String text) {
        synchronized (logged) {
            return List.copyOf(logged.list).stream().filter(e -> e.getLevel() == Level.WARN)
                    .filter(e -> e.getFormattedMessage().contains(text)).count();
        }
    }

    @Test
    void aDuplicateClientIdKicksTheBundleOffAndItComesBack() {
        Map<String, String> p = properties(shared.broker(), "bombercat-twin");
        p.put("uplink.reconnect.initial-delay", "2s");
        try (RunningBundle bundle = RunningBundle.start(p).awaitConnected()) {
            PeerClient twin = new PeerClient(shared.broker().port(), shared.broker().device("bombercat-twin-2",
                    TestBroker.KeyForm.PKCS1), "bombercat-twin", null);
            RunningBundle.await(() -> bundle.connection().history().stream().anyMatch(e ->
                            e.state() == ConnectionState.RECONNECTING && e.error() != null
                                    && e.error().contains("0x8E session taken over")),
                    Duration.ofSeconds(20), "the takeover in the history");
            twin.close();
            bundle.awaitConnected();
        }
    }

    @Test
    void statePublishesStateChangedAndEventsReachTheHookRoute() throws IOException {
        Map<String, String> p = properties(shared.broker(), "bombercat-state");
        Path routes = Files.createDirectories(dir.resolve("hook-routes"));
        Path log = dir.resolve("connection-events.log");
        Files.writeString(routes.resolve("alert.camel.yaml"), """
                - route:
                    id: connection-alert
                    from:
                      uri: direct:connection-event
                      steps:
                        - setBody:
                            expression:
                              simple:
                                expression: "${body[state]}"
                        - to:
                            uri: file:%s
                            parameters:
                              fileName: %s
                              fileExist: Append
                              appendChars: ","
                """.formatted(log.getParent(), log.getFileName()));
        p.put("uplink.routes-dir", routes.toString());
        try (RunningBundle bundle = RunningBundle.start(p).awaitConnected()) {
            HttpResponse<String> changed = bundle.http("POST", "/state", "application/json",
                    "{\"state\": \"collecting_data\"}");
            assertEquals(202, changed.statusCode(), changed.body());
            String event = shared.broker().await(p2 -> p2.payloadText().contains("state_changed"), 1,
                    Duration.ofSeconds(20)).get(0).payloadText();
            assertTrue(event.endsWith("\"event\":\"state_changed\",\"metadata\":{\"from\":\"idle\","
                    + "\"to\":\"collecting_data\"}}"), event);

            RunningBundle.await(() -> Files.exists(log) && read(log).contains("connected"),
                    Duration.ofSeconds(10), "the connection events in the hook route's file");
            assertTrue(read(log).startsWith("connecting,connected,"), read(log));
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }
}
