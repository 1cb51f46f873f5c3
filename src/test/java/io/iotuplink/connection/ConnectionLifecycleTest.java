package io.iotuplink.connection;

import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.SharedBroker;
import io.iotuplink.support.TestBroker;
import io.iotuplink.support.TlsRecordRelay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What camel-paho-mqtt5 alone gets wrong: the first connect is retried, and a stop leaves no Paho thread (nor the TLS
 * connection's writer) behind. One broker serves the class; "the broker is not up yet" is a port nothing listens on,
 * where a relay to the broker opens later.
 */
class ConnectionLifecycleTest {

    @RegisterExtension
    static final SharedBroker shared = new SharedBroker();

    @TempDir
    Path dir;

    @Test
    void theFirstConnectIsRetriedUntilTheBrokerIsUp() throws IOException {
        TestBroker.DeviceFiles device = shared.broker().device("bombercat-late", TestBroker.KeyForm.PKCS1);
        int notYetListening = TestBroker.freePort();

        Map<String, String> properties = RunningBundle.properties("localhost:" + notYetListening, device,
                dir.resolve("data"));
        properties.put("uplink.reconnect.max-attempts", "20");
        properties.put("uplink.reconnect.max-delay", "2s");
        try (RunningBundle bundle = RunningBundle.start(properties)) {
            RunningBundle.await(() -> bundle.connection().reconnectAttempts() >= 1, Duration.ofSeconds(20),
                    "a failed first attempt");
            assertEquals("reconnecting", bundle.status().get("connection_status").asText());

            try (TlsRecordRelay up = TlsRecordRelay.from(notYetListening, shared.broker().port())) {
                bundle.awaitConnected();
                bundle.producer().sendBody("direct:telemetry", "{\"late\": true}");
                shared.broker().await(p -> p.payloadText().contains("\"late\":true"), 1, Duration.ofSeconds(20));

                List<ConnectionEvent> history = bundle.connection().history();
                assertEquals(ConnectionState.CONNECTING, history.get(0).state());
                assertEquals(ConnectionState.CONNECTED, history.get(history.size() - 1).state());
                assertTrue(history.stream().anyMatch(e -> e.state() == ConnectionState.RECONNECTING
                        && e.error().contains("nothing accepts connections at localhost:" + notYetListening)),
                        history.toString());
            }
        }
    }

    @Test
    void stoppingTheBundleLeavesNoPahoOrTlsWriterThreadBehind() {
        String clientId = "bombercat-threads";
        Map<String, String> properties = RunningBundle.properties(shared.broker(),
                shared.broker().device(clientId, TestBroker.KeyForm.PKCS1), dir.resolve("data"));
        properties.put("aws.iot.client-id", clientId);
        RunningBundle bundle = RunningBundle.start(properties).awaitConnected();
        assertTrue(pahoThreads(clientId) > 0, "Paho names its threads after the client id");
        assertEquals(1, tlsWriterThreads(shared.broker().port()), "the connection's TLS writer");
        ConnectionMonitor connection = bundle.connection();

        bundle.close();

        RunningBundle.await(() -> pahoThreads(clientId) == 0, Duration.ofSeconds(10), "Paho threads to end");
        RunningBundle.await(() -> tlsWriterThreads(shared.broker().port()) == 0, Duration.ofSeconds(10),
                "the TLS writer to end");
        List<ConnectionEvent> history = connection.history();
        assertEquals(ConnectionState.DISCONNECTING, history.get(history.size() - 2).state());
        assertEquals(ConnectionState.DISCONNECTED, history.get(history.size() - 1).state());
    }

    private static long tlsWriterThreads(int brokerPort) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("uplink-tls-writer localhost:" + brokerPort)).count();
    }

    private static long pahoThreads(String clientId) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("MQTT") && t.getName().contains(clientId)).count();
    }
}
