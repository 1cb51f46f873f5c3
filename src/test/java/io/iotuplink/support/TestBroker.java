package io.iotuplink.support;

import com.hivemq.extension.sdk.api.packets.disconnect.DisconnectReasonCode;
import com.hivemq.extension.sdk.api.services.Services;
import io.iotuplink.local.BrokerPolicy;
import io.iotuplink.local.BrokerSettings;
import io.iotuplink.local.ReceivedConnect;
import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.local.ThrowawayPki;
import io.iotuplink.local.broker.EmbeddedBroker;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * A real MQTT 5 broker for tests: embedded HiveMQ CE on a free port, mutual TLS with a throwaway CA, the seed's
 * policy for the {@code bombercat} prefix, and a record of every publish it accepted.
 */
public final class TestBroker implements AutoCloseable {

    public static final String PREFIX = "bombercat";
    private static final char[] STORE_PASSWORD = "test-store".toCharArray();

    private final Path dir;
    private final ThrowawayPki pki;
    private final AtomicReference<BrokerPolicy> policy = new AtomicReference<>(BrokerPolicy.seed(PREFIX));
    // not copy-on-write: the benchmark records tens of thousands
    private final List<ReceivedPublish> received = java.util.Collections.synchronizedList(new ArrayList<>());
    private final List<ReceivedConnect> connects = new CopyOnWriteArrayList<>();
    private final Map<String, Set<Integer>> unacknowledged = new HashMap<>();
    private final Map<String, Integer> peakUnacknowledged = new HashMap<>();
    private final Map<String, Integer> pubacksSent = new HashMap<>();
    private final Map<String, Integer> sentTo = new HashMap<>();
    private final Map<String, Integer> acknowledgedBy = new HashMap<>();
    private final EmbeddedBroker broker;

    private TestBroker(Path dir, int port, int receiveMaximum, ThrowawayPki pki, boolean certificateRequired) {
        this(dir, port, receiveMaximum, pki, certificateRequired, 0);
    }

    private TestBroker(Path dir, int port, int receiveMaximum, ThrowawayPki pki, boolean certificateRequired,
            int maxPacketSize) {
        this.dir = dir;
        this.pki = pki;
        Path keyStore = dir.resolve("broker-keystore.p12");
        Path trustStore = dir.resolve("broker-truststore.p12");
        pki.issueServer("localhost").writePkcs12(keyStore, pki.caCertificate(), STORE_PASSWORD);
        pki.writeTrustStore(trustStore, STORE_PASSWORD);
        pki.writeCa(caFile());
        this.broker = EmbeddedBroker.start(new BrokerSettings(dir.resolve("hivemq"), port, keyStore,
                trustStore, new String(STORE_PASSWORD), receiveMaximum, certificateRequired, maxPacketSize),
                new TestBrokerExtension(policy::get, new BrokerEvents() {
                    @Override
                    public void connected(ReceivedConnect connect) {
                        connects.add(connect);
                    }

                    @Override
                    public void received(ReceivedPublish publish) {
                        received.add(publish);
                    }

                    @Override
                    public void publishArrived(String clientId, int packetId) {
                        synchronized (unacknowledged) {
                            Set<Integer> open = unacknowledged.computeIfAbsent(clientId, c -> new HashSet<>());
                            open.add(packetId);
                            peakUnacknowledged.merge(clientId, open.size(), Math::max);
                        }
                    }

                    @Override
                    public void publishSent(String clientId) {
                        countOne(sentTo, clientId);
                    }

                    @Override
                    public void pubackReceived(String clientId) {
                        countOne(acknowledgedBy, clientId);
                    }

                    @Override
                    public void pubackSent(String clientId, int packetId) {
                        synchronized (unacknowledged) {
                            unacknowledged.getOrDefault(clientId, new HashSet<>()).remove(packetId);
                            pubacksSent.merge(clientId, 1, Integer::sum);
                        }
                    }
                }));
    }

    /** A broker that grants clients at most {@code receiveMaximum} unacknowledged QoS 1 publishes (CONNACK). */
    public static TestBroker startWithReceiveMaximum(Path dir, int receiveMaximum) {
        return new TestBroker(dir, freePort(), receiveMaximum, ThrowawayPki.create("test CA"), true);
    }

    /** A broker whose CONNACK announces a maximum packet size of {@code maxPacketSize} bytes. */
    public static TestBroker startWithMaxPacketSize(Path dir, int maxPacketSize) {
        return new TestBroker(dir, freePort(), 100, ThrowawayPki.create("test CA"), true, maxPacketSize);
    }

    /** The most QoS 1 publishes from {@code clientId} the broker held without having sent their PUBACK. */
    public int peakUnacknowledged(String clientId) {
        return count(peakUnacknowledged, clientId);
    }

    /** How many PUBACKs the broker sent {@code clientId}, refusals included. */
    public int pubacksSent(String clientId) {
        return count(pubacksSent, clientId);
    }

    /** One more for {@code clientId} in one of the per-client counts (all under the {@code unacknowledged} lock). */
    private void countOne(Map<String, Integer> counts, String clientId) {
        synchronized (unacknowledged) {
            counts.merge(clientId, 1, Integer::sum);
        }
    }

    private int count(Map<String, Integer> counts, String clientId) {
        synchronized (unacknowledged) {
            return counts.getOrDefault(clientId, 0);
        }
    }

    /** How many QoS 1 publishes (messages for its subscriptions) the broker sent {@code clientId}. */
    public int sentTo(String clientId) {
        return count(sentTo, clientId);
    }

    /** How many of those {@code clientId} acknowledged (PUBACK). */
    public int acknowledgedBy(String clientId) {
        return count(acknowledgedBy, clientId);
    }

    /**
     * The messages this broker dropped instead of delivering them (a subscriber's queue full: HiveMQ keeps at most
     * 1,000 QoS 1 messages for a client, those in flight included), by HiveMQ metric (HiveMQ logs a drop at DEBUG only).
     */
    public Map<String, Long> dropped() {
        Map<String, Long> dropped = new TreeMap<>();
        Services.metricRegistry().getCounters((name, metric) -> name.contains(".dropped."))
                .forEach((name, counter) -> dropped.put(name, counter.getCount()));
        return dropped;
    }

    /** Starts a broker whose files live in {@code dir}. */
    public static TestBroker start(Path dir) {
        return new TestBroker(dir, freePort(), 100, ThrowawayPki.create("test CA"), true);
    }

    /** A broker that also lets clients in without a certificate when their password is the policy's token. */
    public static TestBroker startAcceptingTokens(Path dir) {
        return new TestBroker(dir, freePort(), 100, ThrowawayPki.create("test CA"), false);
    }

    /** Starts a broker like {@code earlier} (same port, same CA), after it was stopped. */
    public static TestBroker restart(TestBroker earlier, Path dir) {
        return new TestBroker(dir, earlier.port(), 100, earlier.pki, true);
    }

    public int port() {
        return broker.port();
    }

    public ThrowawayPki pki() {
        return pki;
    }

    /** The CA that signed the broker's and the devices' certificates, as PEM. */
    public Path caFile() {
        return dir.resolve("ca.pem");
    }

    /** Replaces the policy while the broker runs. */
    public void policy(BrokerPolicy next) {
        policy.set(next);
    }

    /** Device files signed by the broker's CA, with the key in the given form. */
    public DeviceFiles device(String name, KeyForm form) {
        ThrowawayPki.Issued issued = pki.issueDevice(name,
                form == KeyForm.EC ? ThrowawayPki.KeyType.EC : ThrowawayPki.KeyType.RSA);
        Path certificate = dir.resolve(name + "-" + form + ".pem.crt");
        Path key = dir.resolve(name + "-" + form + ".pem.key");
        issued.writeCertificate(certificate);
        if (form == KeyForm.PKCS8) {
            issued.writePkcs8Key(key);
        } else {
            issued.writeTraditionalKey(key);
        }
        return new DeviceFiles(certificate, key, caFile());
    }

    /** The form of a device's private key file. */
    public enum KeyForm { PKCS1, PKCS8, EC }

    /** A device certificate, its key and the CA to trust. */
    public record DeviceFiles(Path certificate, Path key, Path ca) {
    }

    /** Cuts the client off from the broker's side, as a broker does (DISCONNECT 0x98 administrative action). */
    public void cutOff(String clientId) {
        disconnect(clientId, DisconnectReasonCode.ADMINISTRATIVE_ACTION, "cut off by the broker");
    }

    /** Sends the client a DISCONNECT with {@code reason} (0x96 message rate too high, 0x97 quota exceeded, ...). */
    public void disconnect(String clientId, DisconnectReasonCode reason, String reasonString) {
        boolean wasConnected;
        try {
            wasConnected = Services.clientService().disconnectClient(clientId, false, reason, reasonString)
                    .get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("cannot disconnect " + clientId + ": " + e, e);
        }
        if (!wasConnected) {
            throw new AssertionError(clientId + " was not connected");
        }
    }

    /** Every CONNECT the broker accepted, in order. */
    public List<ReceivedConnect> connects() {
        return List.copyOf(connects);
    }

    public List<ReceivedPublish> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    /** How many publishes the broker accepted so far. */
    public int receivedCount() {
        return received.size();
    }

    /** Waits until {@code count} accepted publishes match, and returns them in arrival order. */
    public List<ReceivedPublish> await(Predicate<ReceivedPublish> match, int count, Duration timeout) {
        try {
            return Awaitility.await().atMost(timeout).pollInterval(RunningBundle.POLL)
                    .until(() -> received().stream().filter(match).toList(), matching -> matching.size() >= count);
        } catch (ConditionTimeoutException e) {
            List<ReceivedPublish> all = received();
            throw new AssertionError("expected " + count + " matching publishes within " + timeout
                    + ", the broker got " + all.stream().filter(match).count() + " of " + all.size() + ": "
                    + all.stream().map(ReceivedPublish::topic).toList(), e);
        }
    }

    public ReceivedPublish awaitOne(String topic) {
        return await(p -> p.topic().equals(topic), 1, Duration.ofSeconds(20)).get(0);
    }

    @Override
    public void close() {
        broker.close();
    }

    /** A TCP port nothing listens on right now. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A deliberate pause (time passing is what a test checks); to wait for a condition, use an await. */
    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** A fresh temporary directory (for code that runs outside JUnit's @TempDir). */
    public static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
