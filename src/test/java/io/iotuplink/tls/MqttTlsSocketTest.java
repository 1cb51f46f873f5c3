package io.iotuplink.tls;

import io.iotuplink.config.MqttSession;
import io.iotuplink.local.BrokerPolicy;
import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.mqtt.MqttOptions;
import io.iotuplink.mqtt.UplinkMqttClient;
import io.iotuplink.support.TestBroker;
import io.iotuplink.support.TlsRecordRelay;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The TLS socket the bundle gives Paho, against a real broker, through a relay that counts TLS records. */
class MqttTlsSocketTest {

    private static final int PUBLISHES = 300;

    @TempDir
    Path dir;

    @Test
    void aBurstOfPublishesSharesTlsRecordsAndArrivesWholeAndInOrder() throws Exception {
        try (TestBroker broker = TestBroker.start(dir.resolve("broker"));
             TlsRecordRelay relay = TlsRecordRelay.to(broker.port())) {
            broker.policy(BrokerPolicy.seed(TestBroker.PREFIX));
            TestBroker.DeviceFiles device = broker.device("bombercat-burst", TestBroker.KeyForm.PKCS1);
            PemTlsContext tls = PemTlsContext.create(PemFiles.load(device.certificate(), device.key(), device.ca()));
            UplinkMqttClient client = new UplinkMqttClient("ssl://localhost:" + relay.port(), "bombercat-burst",
                    Duration.ofSeconds(10));
            try {
                client.connect(MqttOptions.connect(new MqttSession(Duration.ofSeconds(30), true, Duration.ZERO,
                        Duration.ofSeconds(10), Duration.ofSeconds(10)), tls.socketFactory()));
                int recordsBefore = relay.applicationRecords();
                CountDownLatch settled = new CountDownLatch(PUBLISHES);
                Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
                for (int i = 0; i < PUBLISHES; i++) {
                    MqttMessage message = new MqttMessage(("{\"seq\":" + i + "}").getBytes(StandardCharsets.UTF_8));
                    message.setQos(1);
                    client.publishAsync("bombercat/telemetry", message, failure -> {
                        if (failure != null) {
                            failures.add(failure);
                        }
                        settled.countDown();
                    });
                }
                assertTrue(settled.await(30, TimeUnit.SECONDS), "every publish acknowledged");
                assertEquals(List.of(), List.copyOf(failures));
                int records = relay.applicationRecords() - recordsBefore;

                List<String> received = broker.await(p -> p.clientId().equals("bombercat-burst"), PUBLISHES,
                        Duration.ofSeconds(20)).stream().map(ReceivedPublish::payloadText).toList();
                assertEquals(IntStream.range(0, PUBLISHES).mapToObj(i -> "{\"seq\":" + i + "}").toList(), received);
                assertTrue(records < PUBLISHES / 2, PUBLISHES + " publishes in a burst took " + records
                        + " TLS records (one each without coalescing)");
            } finally {
                client.disconnect();
                client.close();
            }
        }
    }
}
