package io.iotuplink.local;

import io.iotuplink.local.broker.EmbeddedBroker;
import io.iotuplink.local.broker.SeedPolicyExtension;
import io.iotuplink.support.PeerClient;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The {@code --local} broker with its throwaway PKI, in this JVM: the device's certificate gets exactly the seed's
 * policy, the operator's sends commands and watches; refusals are the PUBACK or SUBACK 0x87 AWS IoT sends.
 */
class LocalBrokerPolicyTest {

    private static final int NOT_AUTHORIZED = 0x87;

    @TempDir
    static Path dir;
    private static LocalPki pki;
    private static EmbeddedBroker broker;

    @BeforeAll
    static void startTheLocalBroker() {
        pki = new LocalPki(dir.resolve("local-pki")).ensure("bombercat-local");
        broker = EmbeddedBroker.start(new BrokerSettings(dir.resolve("broker"), TestBroker.freePort(),
                pki.brokerKeyStore(), pki.brokerTrustStore(), pki.storePassword(), 100, true),
                new SeedPolicyExtension(LocalBroker.policies(pki.deviceName(), "bombercat")));
    }

    @AfterAll
    static void stopTheLocalBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private static PeerClient device(String filter) {
        return new PeerClient(broker.port(), new TestBroker.DeviceFiles(pki.deviceCertificate(), pki.deviceKey(),
                pki.caCertificate()), "bombercat-local", filter);
    }

    private static PeerClient operator(String filter) {
        return new PeerClient(broker.port(), new TestBroker.DeviceFiles(pki.operatorCertificate(), pki.operatorKey(),
                pki.caCertificate()), "operator-" + System.nanoTime(), filter);
    }

    /** PUBACK 0x87, then HiveMQ disconnects the client, as it does after any refused publish. */
    private static void assertRefused(PeerClient client, String topic) {
        assertEquals(NOT_AUTHORIZED, client.publishForReasonCode(topic, "{\"correlation_id\": \"c-refused\"}"));
        RunningBundle.await(() -> !client.connected(), Duration.ofSeconds(10), "the broker to disconnect the client");
    }

    @Test
    void theDevicePublishesTelemetryAndEvents() {
        try (PeerClient device = device(null)) {
            assertEquals(0, device.publishForReasonCode("bombercat/telemetry", "{\"temperature\": 25.5}"));
            assertEquals(0, device.publishForReasonCode("bombercat/events", "{\"event\": \"door_open\"}"));
        }
    }

    @Test
    void theDeviceMayNotPublishACommandToItself() {
        try (PeerClient device = device(null)) {
            assertRefused(device, "bombercat/commands/ping");
        }
    }

    @Test
    void theDeviceMayNotPublishBelowItsTopics() {
        try (PeerClient device = device(null)) {
            assertRefused(device, "bombercat/telemetry/extra");
        }
    }

    @Test
    void theDeviceMaySubscribeToCommandsOnly() {
        try (PeerClient device = device(null)) {
            assertEquals(1, device.subscribe("bombercat/commands/#"));
            assertEquals(NOT_AUTHORIZED, device.subscribe("bombercat/#"));
            assertEquals(NOT_AUTHORIZED, device.subscribe("bombercat/telemetry"));
        }
    }

    @Test
    void theOperatorSendsACommandTheDeviceReceivesAndWatchesWhatTheDevicePublishes() {
        try (PeerClient device = device("bombercat/commands/#"); PeerClient operator = operator("bombercat/#")) {
            assertEquals(0, operator.publishForReasonCode("bombercat/commands/ping", "{\"correlation_id\": \"c-1\"}"));
            PeerClient.Received command = device.await(r -> r.topic().equals("bombercat/commands/ping"),
                    Duration.ofSeconds(10));
            assertEquals("{\"correlation_id\": \"c-1\"}", command.text());

            assertEquals(0, device.publishForReasonCode("bombercat/events", "{\"event\": \"command_result\"}"));
            operator.await(r -> r.topic().equals("bombercat/events"), Duration.ofSeconds(10));
        }
    }

    @Test
    void theOperatorMayNotPublishAsTheDevice() {
        try (PeerClient operator = operator(null)) {
            assertRefused(operator, "bombercat/telemetry");
        }
    }
}
