package io.iotuplink.support;

import io.iotuplink.config.MqttSession;
import io.iotuplink.mqtt.MqttOptions;
import io.iotuplink.mqtt.PublishRefusedException;
import io.iotuplink.mqtt.UplinkMqttClient;
import io.iotuplink.tls.PemFiles;
import io.iotuplink.tls.PemTlsContext;
import org.awaitility.Awaitility;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** A separate MQTT 5 client over mutual TLS, as the cloud side uses: subscribes and keeps what it gets, publishes. */
public final class PeerClient implements AutoCloseable {

    /** A message as the subscriber got it, with its topic. */
    public record Received(String topic, MqttMessage message) {
        public String text() {
            return new String(message.getPayload(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private final UplinkMqttClient client;
    private final List<Received> received = new CopyOnWriteArrayList<>();

    /** Connects; {@code filter} may be null for a client that only publishes. */
    public PeerClient(int port, TestBroker.DeviceFiles files, String clientId, String filter) {
        try {
            // the bundle's client: a refused PUBACK is an exception with its reason code, not a silent success
            client = new UplinkMqttClient("ssl://localhost:" + port, clientId, Duration.ofSeconds(10));
            client.connect(MqttOptions.connect(new MqttSession(Duration.ofSeconds(30), true, Duration.ZERO,
                    Duration.ofSeconds(10), Duration.ofSeconds(10)), PemTlsContext.create(
                    PemFiles.load(files.certificate(), files.key(), files.ca())).socketFactory()));
        } catch (MqttException e) {
            throw new AssertionError("the subscriber could not connect: " + e, e);
        }
        if (filter != null) {
            subscribe(filter);
        }
    }

    /** Subscribes at QoS 1 to {@code filter} and returns the SUBACK's reason code (0x01 granted, 0x87 refused...). */
    public int subscribe(String filter) {
        IMqttMessageListener listener = (topic, message) -> received.add(new Received(topic, message));
        try {
            return client.subscribe(new MqttSubscription[] {new MqttSubscription(filter, 1)},
                    new IMqttMessageListener[] {listener}).getReasonCodes()[0];
        } catch (MqttException e) {
            throw new AssertionError("subscribing to " + filter + " failed: " + e, e);
        }
    }

    /** Publishes at QoS 1 and returns the PUBACK's reason code: 0 accepted, 0x87 not authorized... */
    public int publishForReasonCode(String topic, String payload) {
        try {
            publish(topic, payload, null);
            return 0;
        } catch (PublishRefusedException e) {
            return e.reasonCode();
        }
    }

    /** Publishes at QoS 1, with MQTT 5 correlation data when given. */
    public void publish(String topic, String payload, String correlationData) {
        publish(topic, payload, correlationData, false);
    }

    /** Publishes at QoS 1, retained when asked (the broker hands it to every new subscription). */
    public void publish(String topic, String payload, String correlationData, boolean retained) {
        MqttMessage message = new MqttMessage(payload.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        message.setQos(1);
        message.setRetained(retained);
        if (correlationData != null) {
            org.eclipse.paho.mqttv5.common.packet.MqttProperties properties =
                    new org.eclipse.paho.mqttv5.common.packet.MqttProperties();
            properties.setCorrelationData(correlationData.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            message.setProperties(properties);
        }
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                client.publish(topic, message);
                return;
            } catch (MqttException e) {
                // Paho 1.2.5 completes a publish before it frees its in-flight place: back to back, the next
                // publish may find the place still taken (32202); it is free a moment later
                if (e.getReasonCode() != MqttClientException.REASON_CODE_MAX_INFLIGHT
                        || System.nanoTime() > deadline) {
                    throw new AssertionError("publish to " + topic + " failed: " + e, e);
                }
                Thread.onSpinWait();
            }
        }
    }

    public Received await(Predicate<Received> match, Duration timeout) {
        return Awaitility.await("a matching message").atMost(timeout).pollInterval(RunningBundle.POLL)
                .until(() -> received.stream().filter(match).findFirst(), Optional::isPresent).get();
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    public boolean connected() {
        return client.isConnected();
    }

    @Override
    public void close() {
        try {
            if (client.isConnected()) {
                client.disconnect();
            }
            client.close();
        } catch (MqttException e) {
            // the broker may be gone already
        }
    }
}
