package io.iotuplink.mqtt;

import io.iotuplink.config.MqttSession;
import io.iotuplink.local.BrokerPolicy;
import io.iotuplink.mqtt.MqttPublishProperties;
import io.iotuplink.support.TestBroker;
import io.iotuplink.tls.PemFiles;
import io.iotuplink.tls.PemTlsContext;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The client the endpoint publishes through: a PUBACK error is an error, and only QoS 1 goes out. */
class UplinkMqttClientTest {

    @TempDir
    static Path dir;
    static TestBroker broker;
    static MqttConnectionOptions options;

    @BeforeAll
    static void start() {
        broker = TestBroker.start(dir.resolve("broker"));
        broker.policy(BrokerPolicy.seed(TestBroker.PREFIX));
        TestBroker.DeviceFiles device = broker.device("bombercat-client", TestBroker.KeyForm.PKCS1);
        PemTlsContext tls = PemTlsContext.create(PemFiles.load(device.certificate(), device.key(), device.ca()));
        options = MqttOptions.connect(new MqttSession(Duration.ofSeconds(30), true, Duration.ZERO,
                Duration.ofSeconds(10), Duration.ofSeconds(10)), tls.socketFactory());
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private static MqttMessage qos1(String text) {
        MqttMessage message = new MqttMessage(text.getBytes());
        message.setQos(1);
        message.setProperties(MqttPublishProperties.forReading("id-" + text));
        return message;
    }

    /** A QoS 1 reading whose properties do not grow with its payload. */
    private static MqttMessage reading(String text) {
        MqttMessage message = new MqttMessage(text.getBytes());
        message.setQos(1);
        message.setProperties(MqttPublishProperties.forReading("0b9f6f4e-3a52-4a43-9d7e-5c1f2a7c9e10"));
        return message;
    }

    @Test
    void plainPahoReportsARefusedPublishAsSuccessWhichIsWhyThisClientExists() throws Exception {
        MqttClient plain = new MqttClient("ssl://localhost:" + broker.port(), "bombercat-plain", new MemoryPersistence());
        try {
            plain.connect(options);
            assertDoesNotThrow(() -> plain.publish("forbidden/topic", qos1("plain")));
        } finally {
            plain.disconnect();
            plain.close();
        }
    }

    @Test
    void aPubackWithAnErrorReasonCodeThrowsWithTheCode() throws Exception {
        UplinkMqttClient client = new UplinkMqttClient("ssl://localhost:" + broker.port(), "bombercat-refused",
                Duration.ofSeconds(10));
        try {
            client.connect(options);
            PublishRefusedException refused = assertThrows(PublishRefusedException.class,
                    () -> client.publish("forbidden/topic", qos1("refused")));
            assertEquals(0x87, refused.reasonCode());
            assertTrue(refused.getMessage().contains("'forbidden/topic': PUBACK 0x87 not authorized"),
                    refused.getMessage());
            assertTrue(client.isConnected(), "a refused publish does not cost the connection");

            client.publish("bombercat/telemetry", qos1("allowed"));
            assertEquals("id-allowed", broker.awaitOne("bombercat/telemetry").userProperties().get("message_id"));
        } finally {
            client.disconnect();
            client.close();
        }
    }

    @Test
    void qos2IsRefusedBeforeItReachesTheBroker() throws Exception {
        UplinkMqttClient client = new UplinkMqttClient("ssl://localhost:" + broker.port(), "bombercat-qos2",
                Duration.ofSeconds(10));
        try {
            client.connect(options);
            MqttMessage qos2 = qos1("qos2");
            qos2.setQos(2);
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                    () -> client.publish("bombercat/telemetry", qos2));
            assertTrue(error.getMessage().contains("QoS 1 only"), error.getMessage());
        } finally {
            client.disconnect();
            client.close();
        }
    }

    @Test
    void aPublishOverTheMaximumPacketSizeOfTheConnackIsRefusedUnsentAndOneAtTheLimitGoesOut() throws Exception {
        try (TestBroker small = TestBroker.startWithMaxPacketSize(dir.resolve("small-broker"), 1024)) {
            TestBroker.DeviceFiles device = small.device("bombercat-small", TestBroker.KeyForm.PKCS1);
            PemTlsContext tls = PemTlsContext.create(PemFiles.load(device.certificate(), device.key(), device.ca()));
            MqttConnectionOptions smallOptions = MqttOptions.connect(new MqttSession(Duration.ofSeconds(30), true,
                    Duration.ZERO, Duration.ofSeconds(10), Duration.ofSeconds(10)), tls.socketFactory());
            UplinkMqttClient client = new UplinkMqttClient("ssl://localhost:" + small.port(), "bombercat-small",
                    Duration.ofSeconds(10));
            try {
                client.connect(smallOptions);
                assertEquals(1024, client.maximumPacketSize(), "the CONNACK's Maximum Packet Size");
                // an empty payload's remaining length takes 1 byte, a payload near 1 KB's 2; the broker grants
                // topic aliases, so this first publish to its topic carries the topic and an alias, as counted
                int overhead = PublishPacket.size("bombercat/telemetry", reading("")) + 1;
                MqttMessage atTheLimit = reading("x".repeat(1024 - overhead));
                assertEquals(1024, PublishPacket.size("bombercat/telemetry", atTheLimit));
                MqttMessage overTheLimit = reading("x".repeat(1024 - overhead + 1));

                PacketTooLargeException refused = assertThrows(PacketTooLargeException.class,
                        () -> client.publish("bombercat/telemetry", overTheLimit));
                assertEquals(0x95, refused.reasonCode());
                assertTrue(refused.getMessage().contains("a packet of 1025 bytes is over the broker's maximum packet"
                        + " size of 1024 bytes (CONNACK)"), refused.getMessage());
                client.publish("bombercat/telemetry", atTheLimit);
                assertTrue(client.isConnected(), "neither publish cost the connection");
                assertEquals(1, small.received().size(), "only the one at the limit reached the broker");
            } finally {
                if (client.isConnected()) {
                    client.disconnect();
                }
                client.close();
            }
        }
    }
}
