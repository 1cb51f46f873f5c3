package io.iotuplink.tls;

import io.iotuplink.config.MqttSession;
import io.iotuplink.mqtt.MqttOptions;
import io.iotuplink.support.TestBroker;
import io.iotuplink.support.TlsServer;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A TLS server that records the ALPN protocols the client offers, as AWS IoT Core on port 443 reads them. */
class AlpnTest {

    @TempDir
    Path dir;

    private List<String> offeredBy(List<String> alpn) throws Exception {
        CompletableFuture<List<String>> offered = new CompletableFuture<>();
        try (TlsServer server = TlsServer.start(dir, accepted -> {
            try (SSLSocket socket = accepted) {
                socket.setHandshakeApplicationProtocolSelector((s, protocols) -> {
                    offered.complete(List.copyOf(protocols));
                    return protocols.isEmpty() ? null : protocols.get(0);
                });
                socket.startHandshake();
                offered.complete(List.of());
            } catch (Exception e) {
                offered.completeExceptionally(e);
            }
        })) {
            MqttClient client = new MqttClient("ssl://localhost:" + server.port(), "bombercat-alpn",
                    new MemoryPersistence());
            try {
                client.connect(MqttOptions.connect(new MqttSession(Duration.ofSeconds(30), true, Duration.ZERO,
                        Duration.ofSeconds(5), Duration.ofSeconds(5)), server.clientTls().socketFactory(alpn)));
            } catch (MqttException expected) {
                // the server speaks TLS only; the handshake is what this test reads
            } finally {
                client.close(true);
            }
            return offered.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void port443OffersTheAwsAlpnProtocolDespitePahoResettingTheParameters() throws Exception {
        assertEquals(List.of("x-amzn-mqtt-ca"), offeredBy(PemTlsContext.alpnFor(443)));
    }

    @Test
    void anyOtherPortOffersNoAlpn() throws Exception {
        assertEquals(List.of(), PemTlsContext.alpnFor(8883));
        assertEquals(List.of(), offeredBy(PemTlsContext.alpnFor(8883)));
    }

    @Test
    void theAlpnSocketStillConnectsToARealBroker() {
        try (TestBroker broker = TestBroker.start(dir.resolve("broker"))) {
            TestBroker.DeviceFiles device = broker.device("bombercat-alpn-broker", TestBroker.KeyForm.PKCS1);
            PemTlsContext tls = PemTlsContext.create(PemFiles.load(device.certificate(), device.key(), device.ca()));
            MqttClient client = new MqttClient("ssl://localhost:" + broker.port(), "bombercat-alpn-broker",
                    new MemoryPersistence());
            client.connect(MqttOptions.connect(new MqttSession(Duration.ofSeconds(30), true, Duration.ZERO,
                    Duration.ofSeconds(5), Duration.ofSeconds(5)), tls.socketFactory(List.of("mqtt"))));
            assertEquals(true, client.isConnected());
            client.disconnect();
            client.close();
        } catch (MqttException e) {
            throw new AssertionError(e);
        }
    }
}
