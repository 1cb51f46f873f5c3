package io.iotuplink.mqtt;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The Paho client the bundle publishes through (and a {@code paho-mqtt5:} endpoint can use). Unlike a plain
 * {@link MqttClient} it fails a publish whose PUBACK carries an error reason code (0x87 not authorized, 0x97 quota
 * exceeded, ...), refuses any QoS but 1 (AWS IoT Core has no QoS 2), can publish without waiting for the PUBACK,
 * and keeps nothing on disk: the bundle's own store does that.
 */
public class UplinkMqttClient extends MqttClient {

    private final long publishTimeoutMillis;
    private volatile Consumer<Duration> pubackLatency = latency -> { };

    public UplinkMqttClient(String serverUri, String clientId, Duration publishTimeout) throws MqttException {
        super(serverUri, clientId, new MemoryPersistence());
        this.publishTimeoutMillis = publishTimeout.toMillis();
    }

    /** Told the time from PUBLISH to PUBACK of every acknowledged publish. */
    public void onPuback(Consumer<Duration> listener) {
        this.pubackLatency = listener;
    }

    /** Publishes at QoS 1 and waits for the PUBACK; a refusal throws {@link PublishRefusedException}. */
    @Override
    public void publish(String topic, MqttMessage message) throws MqttException {
        requireQos1(topic, message);
        long sent = System.nanoTime();
        IMqttToken token = queue(topic, message, null, sent + publishTimeoutMillis * 1_000_000L);
        token.waitForCompletion(publishTimeoutMillis);
        pubackLatency.accept(Duration.ofNanos(System.nanoTime() - sent));
        PublishRefusedException refused = refusal(topic, token);
        if (refused != null) {
            throw refused;
        }
    }

    @Override
    public void publish(String topic, byte[] payload, int qos, boolean retained) throws MqttException {
        MqttMessage message = new MqttMessage(payload);
        message.setQos(qos);
        message.setRetained(retained);
        publish(topic, message);
    }

    /**
     * Publishes at QoS 1 without waiting: Paho has queued the publish when this returns, and {@code settled} gets
     * null on a PUBACK that accepts it, else the failure ({@link PublishRefusedException}, or Paho's exception
     * when the connection is lost). It runs on Paho's callback thread, so it must not block.
     */
    public void publishAsync(String topic, MqttMessage message, Consumer<Throwable> settled) throws MqttException {
        requireQos1(topic, message);
        long sent = System.nanoTime();
        queue(topic, message, new MqttActionListener() {
            @Override
            public void onSuccess(IMqttToken token) {
                pubackLatency.accept(Duration.ofNanos(System.nanoTime() - sent));
                settled.accept(refusal(topic, token));
            }

            @Override
            public void onFailure(IMqttToken token, Throwable failure) {
                settled.accept(failure);
            }
        }, sent + publishTimeoutMillis * 1_000_000L);
    }

    private static void requireQos1(String topic, MqttMessage message) {
        if (message.getQos() != 1) {
            throw new IllegalArgumentException("QoS " + message.getQos() + " requested for '" + topic
                    + "': iot-uplink publishes at QoS 1 only (AWS IoT Core has no QoS 2, QoS 0 can lose readings)");
        }
    }

    /** The refusal a PUBACK's reason code means, or null when it accepts the publish. */
    private static PublishRefusedException refusal(String topic, IMqttToken token) {
        int[] reasonCodes = token.getReasonCodes();
        if (reasonCodes != null && reasonCodes.length > 0 && reasonCodes[0] >= 0x80) {
            MqttProperties ack = token.getResponseProperties();
            return new PublishRefusedException(topic, reasonCodes[0], ack == null ? null : ack.getReasonString());
        }
        return null;
    }

    /**
     * Hands the publish to Paho. Paho refuses (32202) more in flight than the broker's receive maximum, and frees a
     * slot on its callback thread a moment after the PUBACK has completed the token; such a refusal is retried
     * until a slot is free.
     */
    private IMqttToken queue(String topic, MqttMessage message, MqttActionListener listener, long deadlineNanos)
            throws MqttException {
        while (true) {
            try {
                return aClient.publish(topic, message, null, listener);
            } catch (MqttException e) {
                if (e.getReasonCode() != MqttClientException.REASON_CODE_MAX_INFLIGHT
                        || System.nanoTime() > deadlineNanos) {
                    throw e;
                }
                LockSupport.parkNanos(100_000);
            }
        }
    }
}
