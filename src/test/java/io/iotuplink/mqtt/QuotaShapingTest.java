package io.iotuplink.mqtt;

import com.hivemq.extension.sdk.api.packets.disconnect.DisconnectReasonCode;
import io.iotuplink.config.MqttSession;
import io.iotuplink.local.BrokerPolicy;
import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.support.TestBroker;
import io.iotuplink.tls.PemFiles;
import io.iotuplink.tls.PemTlsContext;
import org.awaitility.Awaitility;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client's quotas against a real broker: they count the bytes actually sent, and the client slows down when the
 * broker says they were exceeded (PUBACK 0x97, DISCONNECT 0x96/0x97).
 */
class QuotaShapingTest {

    @TempDir
    static Path dir;
    static TestBroker broker;
    static MqttConnectionOptions options;

    @BeforeAll
    static void start() {
        broker = TestBroker.start(dir.resolve("broker"));
        TestBroker.DeviceFiles device = broker.device("bombercat-quota", TestBroker.KeyForm.PKCS1);
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
        MqttMessage message = new MqttMessage(text.getBytes(StandardCharsets.UTF_8));
        message.setQos(1);
        message.setProperties(MqttPublishProperties.forReading("id-" + text));
        return message;
    }

    @Test
    void aGzipPublishCountsAgainstTheByteQuotaAtItsCompressedPacketSize() throws Exception {
        // time stands still and waiting fails: what gets through is what one window of the quota holds
        PublishShaper shaper = new PublishShaper(0, 64 * 1024, () -> 0L, nanos -> {
            throw new InterruptedException("would wait for the byte quota");
        }, false);
        UplinkMqttClient client = new UplinkMqttClient("ssl://localhost:" + broker.port(), "bombercat-gzip",
                Duration.ofSeconds(10), shaper);
        byte[] envelope = ("{\"batch\":[" + "{\"data\":{\"temperature\":21.3,\"humidity\":60.0}},".repeat(2_000)
                + "{}]}").getBytes(StandardCharsets.UTF_8);
        assertTrue(envelope.length > 64 * 1024, "one envelope alone is over the quota: " + envelope.length);
        try {
            client.connect(options);
            long counted = 0;
            for (int i = 0; i < 5; i++) {
                MqttMessage gzip = new MqttMessage(MqttPublishProperties.gzip(envelope));
                gzip.setQos(1);
                gzip.setProperties(MqttPublishProperties.forReading("gzip-" + i, true));
                client.publish("bombercat/telemetry", gzip);
                counted += PublishPacket.size("bombercat/telemetry", gzip);
            }

            assertEquals(counted, shaper.windowBytes(), "each counted at its whole packet, payload compressed");
            List<ReceivedPublish> got = broker.await(p -> p.clientId().equals("bombercat-gzip"), 5,
                    Duration.ofSeconds(20));
            assertTrue(got.stream().allMatch(p -> p.payload().length < envelope.length / 10
                    && p.payload()[0] == (byte) 0x1f), "the broker got the gzip payloads");
        } finally {
            client.disconnect();
            client.close();
        }
    }

    @Test
    void afterAPubackQuotaExceededTheClientPublishesAtHalfTheRate() throws Exception {
        UplinkMqttClient client = new UplinkMqttClient("ssl://localhost:" + broker.port(), "bombercat-slowed",
                Duration.ofSeconds(10), new PublishShaper(10, 0, System::nanoTime));
        try {
            client.connect(options);
            broker.policy(BrokerPolicy.seed(TestBroker.PREFIX).refusing("bombercat/telemetry", 0x97));
            PublishRefusedException refused = assertThrows(PublishRefusedException.class,
                    () -> client.publish("bombercat/telemetry", qos1("over-quota")));
            assertEquals(0x97, refused.reasonCode());
            assertEquals(new PublishShaper.Limits(5, 0, 2), client.quotaLimits());
            broker.policy(BrokerPolicy.seed(TestBroker.PREFIX));

            for (int i = 0; i < 15; i++) {
                client.publish("bombercat/telemetry", qos1("slowed-" + i));
            }

            // at 10 per 1.1 s, 9 would arrive in the first second; at half the rate at most 5 arrive in any second
            List<Long> arrivals = broker.await(p -> p.clientId().equals("bombercat-slowed"), 15,
                    Duration.ofSeconds(20)).stream().map(ReceivedPublish::receivedAtNanos).sorted().toList();
            for (int i = 0; i < arrivals.size(); i++) {
                long start = arrivals.get(i);
                long inASecond = arrivals.stream().filter(t -> t >= start && t < start + 1_000_000_000L).count();
                assertTrue(inASecond <= 5, inASecond + " publishes arrived in the second from the " + i + "th");
            }
            assertTrue(client.quotaLimits().slowedDown(), "slowed down for 30 s after the signal");
        } finally {
            broker.policy(BrokerPolicy.seed(TestBroker.PREFIX));
            client.disconnect();
            client.close();
        }
    }

    @Test
    void aDisconnectForTooHighARateSlowsTheClientDownAndReachesTheCallback() throws Exception {
        UplinkMqttClient client = new UplinkMqttClient("ssl://localhost:" + broker.port(), "bombercat-rate",
                Duration.ofSeconds(10), new PublishShaper(100, 512 * 1024, System::nanoTime));
        List<Integer> disconnects = new CopyOnWriteArrayList<>();
        client.setCallback(new MqttCallback() {
            @Override
            public void disconnected(MqttDisconnectResponse response) {
                disconnects.add(response.getReturnCode());
            }

            @Override
            public void mqttErrorOccurred(MqttException exception) {
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
            }

            @Override
            public void deliveryComplete(IMqttToken token) {
            }

            @Override
            public void connectComplete(boolean reconnect, String serverURI) {
            }

            @Override
            public void authPacketArrived(int reasonCode, MqttProperties properties) {
            }
        });
        try {
            client.connect(options);
            broker.cutOff("bombercat-rate");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> disconnects.equals(List.of(0x98)));
            assertFalse(client.quotaLimits().slowedDown(), "0x98 administrative action says nothing of the rate");

            client.connect(options);
            broker.disconnect("bombercat-rate", DisconnectReasonCode.MESSAGE_RATE_TOO_HIGH, "too many publishes");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> disconnects.equals(List.of(0x98, 0x96)));
            assertEquals(new PublishShaper.Limits(50, 256 * 1024, 2), client.quotaLimits());
        } finally {
            if (client.isConnected()) {
                client.disconnect();
            }
            client.close();
        }
    }
}
