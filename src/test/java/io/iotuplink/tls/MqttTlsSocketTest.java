package io.iotuplink.tls;

import io.iotuplink.config.MqttSession;
import io.iotuplink.local.BrokerPolicy;
import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.mqtt.MqttOptions;
import io.iotuplink.support.TestBroker;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TlsRecordRelay;
import io.iotuplink.support.TlsServer;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TLS socket the bundle gives Paho: against a real broker, through a relay that counts TLS records, and against a
 * broker that stopped reading.
 */
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
            // Paho's own asynchronous client: the burst as fast as Paho writes it, in one order
            MqttAsyncClient client = new MqttAsyncClient("ssl://localhost:" + relay.port(), "bombercat-burst",
                    new MemoryPersistence());
            try {
                IMqttToken connack = client.connect(MqttOptions.connect(new MqttSession(Duration.ofSeconds(30), true,
                        Duration.ZERO, Duration.ofSeconds(10), Duration.ofSeconds(10)), tls.socketFactory()));
                connack.waitForCompletion();
                Integer granted = connack.getResponseProperties() == null ? null
                        : connack.getResponseProperties().getReceiveMaximum();
                // never more in flight than the broker takes (Paho refuses more: 32202); the listener runs once
                // Paho has freed the publish's place
                Semaphore window = new Semaphore(granted == null ? 100 : Math.min(100, granted));
                int recordsBefore = relay.applicationRecords();
                CountDownLatch settled = new CountDownLatch(PUBLISHES);
                Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
                for (int i = 0; i < PUBLISHES; i++) {
                    MqttMessage message = new MqttMessage(("{\"seq\":" + i + "}").getBytes(StandardCharsets.UTF_8));
                    message.setQos(1);
                    window.acquire();
                    client.publish("bombercat/telemetry", message, null, new MqttActionListener() {
                        @Override
                        public void onSuccess(IMqttToken token) {
                            window.release();
                            settled.countDown();
                        }

                        @Override
                        public void onFailure(IMqttToken token, Throwable failure) {
                            failures.add(failure);
                            window.release();
                            settled.countDown();
                        }
                    });
                }
                assertTrue(settled.await(30, TimeUnit.SECONDS), "every publish acknowledged");
                assertEquals(List.of(), List.copyOf(failures));
                int records = relay.applicationRecords() - recordsBefore;

                List<String> received = broker.await(p -> p.clientId().equals("bombercat-burst"), PUBLISHES,
                        Duration.ofSeconds(20)).stream().map(ReceivedPublish::payloadText).toList();
                assertEquals(IntStream.range(0, PUBLISHES).mapToObj(i -> "{\"seq\":" + i + "}").toList(), received);
                // one record each without coalescing; how many share one depends on how the threads are scheduled
                assertTrue(records < PUBLISHES * 3 / 4, PUBLISHES + " publishes in a burst took " + records
                        + " TLS records");
            } finally {
                client.disconnect().waitForCompletion();
                client.close();
            }
        }
    }

    @Test
    void stoppingWhileTheBrokerHasStoppedReadingReturnsAndLeavesNoWriter() throws Exception {
        CountDownLatch testOver = new CountDownLatch(1);
        try (TlsServer broker = TlsServer.start(dir.resolve("stalled"), accepted -> {
            try (SSLSocket socket = accepted) {
                socket.startHandshake();
                testOver.await(60, TimeUnit.SECONDS); // and never reads: a hung broker, a dead link
            } catch (Exception ignored) {
                // the test is over
            }
        })) {
            Socket socket = broker.clientTls().socketFactory().createSocket();
            socket.connect(new InetSocketAddress("localhost", broker.port()), 5_000);
            ((SSLSocket) socket).startHandshake();
            OutputStream out = socket.getOutputStream();
            CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
                byte[] packet = new byte[16 * 1024];
                try {
                    while (true) {
                        out.write(packet);
                        out.flush();
                    }
                } catch (IOException expected) {
                    // the connection is closed under it
                }
            });
            Thread.sleep(1_000); // the network buffers fill in milliseconds; then the writer's write is stuck
            assertFalse(publishing.isDone(), "the publisher waits for the network");

            // as Paho's stop does: shutdownInput (which throws without the broker's close_notify), then close
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> {
                try {
                    socket.shutdownInput();
                } catch (IOException expected) {
                    // closing inbound before receiving peer's close_notify
                }
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closed already
                }
            });
            stopping.get(15, TimeUnit.SECONDS);
            publishing.get(15, TimeUnit.SECONDS);
            String writer = "uplink-tls-writer localhost:" + broker.port();
            RunningBundle.await(() -> Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(t -> t.isAlive() && t.getName().equals(writer)), Duration.ofSeconds(10),
                    "the TLS writer to end");
        } finally {
            testOver.countDown();
        }
    }
}
