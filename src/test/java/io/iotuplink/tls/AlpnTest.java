package io.iotuplink.tls;

import io.iotuplink.config.MqttSession;
import io.iotuplink.local.ThrowawayPki;
import io.iotuplink.mqtt.MqttOptions;
import io.iotuplink.support.TestBroker;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A TLS server that records the ALPN protocols the client offers, as AWS IoT Core on port 443 reads them. */
class AlpnTest {

    @TempDir
    Path dir;

    private List<String> offeredBy(List<String> alpn) throws Exception {
        ThrowawayPki pki = ThrowawayPki.create("alpn CA");
        char[] password = "alpn".toCharArray();
        pki.issueServer("localhost").writePkcs12(dir.resolve("server.p12"), pki.caCertificate(), password);
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
            store.load(in, password);
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, password);
        SSLContext server = SSLContext.getInstance("TLS");
        server.init(keys.getKeyManagers(), null, null);

        CompletableFuture<List<String>> offered = new CompletableFuture<>();
        try (SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0)) {
            Thread accepting = new Thread(() -> {
                try (SSLSocket socket = (SSLSocket) listener.accept()) {
                    socket.setHandshakeApplicationProtocolSelector((s, protocols) -> {
                        offered.complete(List.copyOf(protocols));
                        return protocols.isEmpty() ? null : protocols.get(0);
                    });
                    socket.startHandshake();
                    offered.complete(List.of());
                } catch (Exception e) {
                    offered.completeExceptionally(e);
                }
            });
            accepting.start();

            ThrowawayPki.Issued device = pki.issueDevice("bombercat-alpn", ThrowawayPki.KeyType.RSA);
            device.writeCertificate(dir.resolve("device.crt"));
            device.writeTraditionalKey(dir.resolve("device.key"));
            pki.writeCa(dir.resolve("ca.pem"));
            PemTlsContext tls = PemTlsContext.create(PemFiles.load(dir.resolve("device.crt"), dir.resolve("device.key"),
                    dir.resolve("ca.pem")));
            MqttClient client = new MqttClient("ssl://localhost:" + listener.getLocalPort(), "bombercat-alpn",
                    new MemoryPersistence());
            try {
                client.connect(MqttOptions.connect(new MqttSession(Duration.ofSeconds(30), true, Duration.ZERO,
                        Duration.ofSeconds(5), Duration.ofSeconds(5)), tls.socketFactory(alpn)));
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
