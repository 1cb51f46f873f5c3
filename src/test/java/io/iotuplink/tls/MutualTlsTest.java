package io.iotuplink.tls;

import io.iotuplink.connection.ConnectionEvent;
import io.iotuplink.connection.ConnectionState;
import io.iotuplink.local.ReceivedConnect;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The device connects with the PEM files as AWS hands them out, and refuses a server its CA did not sign. */
class MutualTlsTest {

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void start() {
        broker = TestBroker.start(dir.resolve("broker"));
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TestBroker.KeyForm.class)
    void connectsAndPublishesWithEachKeyForm(TestBroker.KeyForm form) {
        TestBroker.DeviceFiles device = broker.device("bombercat-" + form, form);
        try (RunningBundle bundle = RunningBundle.start(
                RunningBundle.properties(broker, device, dir.resolve("data-" + form))).awaitConnected()) {
            bundle.producer().sendBody("direct:telemetry", "{\"key_form\": \"" + form + "\"}");

            broker.await(p -> p.payloadText().contains("\"key_form\":\"" + form + "\""), 1, Duration.ofSeconds(20));
        }
    }

    @Test
    void theConnectCarriesSniTls12PlusAndTheSessionSettings() {
        TestBroker.DeviceFiles device = broker.device("bombercat-session", TestBroker.KeyForm.PKCS1);
        Map<String, String> properties = RunningBundle.properties(broker, device, dir.resolve("data-session"));
        properties.put("aws.iot.client-id", "bombercat-session");
        properties.put("uplink.mqtt.keep-alive", "45s");
        properties.put("uplink.mqtt.clean-start", "false");
        properties.put("uplink.mqtt.session-expiry", "1h");

        try (RunningBundle bundle = RunningBundle.start(properties).awaitConnected()) {
            ReceivedConnect connect = broker.connects().stream()
                    .filter(c -> c.clientId().equals("bombercat-session")).findFirst().orElseThrow();

            assertEquals("localhost", connect.sniHostName());
            assertTrue(connect.tlsProtocol().equals("TLSv1.3") || connect.tlsProtocol().equals("TLSv1.2"),
                    connect.tlsProtocol());
            assertEquals("CN=bombercat-session", connect.certificateSubject());
            assertEquals(45, connect.keepAliveSeconds());
            assertFalse(connect.cleanStart());
            assertEquals(3600, connect.sessionExpirySeconds());
        }
    }

    @Test
    void aServerNotSignedByTheConfiguredCaIsNeverConnectedTo() {
        TestBroker.DeviceFiles device = broker.device("bombercat-wrong-ca", TestBroker.KeyForm.PKCS1);
        Path otherCa = dir.resolve("other-ca.pem");
        io.iotuplink.local.ThrowawayPki.create("some other CA").writeCa(otherCa);
        Map<String, String> properties = RunningBundle.properties(broker,
                new TestBroker.DeviceFiles(device.certificate(), device.key(), otherCa), dir.resolve("data-wrong-ca"));

        try (RunningBundle bundle = RunningBundle.start(properties)) {
            RunningBundle.await(() -> bundle.connection().history().stream()
                    .anyMatch(e -> e.state() == ConnectionState.RECONNECTING), Duration.ofSeconds(20), "a failure");

            assertFalse(bundle.connection().isConnected());
            ConnectionEvent failure = bundle.connection().history().stream()
                    .filter(e -> e.error() != null).findFirst().orElseThrow();
            assertTrue(failure.error().contains("not signed by a CA in AWS_IOT_CA_PATH=" + otherCa), failure.error());
            assertEquals("reconnecting", bundle.status().get("connection_status").asText());
            assertTrue(bundle.status().get("reconnect_attempts").asInt() >= 1);
        }
    }
}
