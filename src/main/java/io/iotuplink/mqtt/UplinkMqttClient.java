package io.iotuplink.mqtt;

import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSecurityException;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * The Paho client the bundle publishes through, given to the publish route's {@code paho-mqtt5:} endpoint. Unlike a
 * plain {@link MqttClient} it fails a publish whose PUBACK carries an error reason code (0x87 not authorized, 0x97
 * quota exceeded, ...), refuses any QoS but 1 (AWS IoT Core has no QoS 2), keeps every publish on its connection
 * within AWS's quotas ({@link PublishShaper}, which slows down for a while when the broker answers 0x97 or
 * disconnects with 0x96/0x97), and keeps nothing on disk: the outbox does that. It notes when a packet
 * last came from the broker (CONNACK, SUBACK, PUBACK, PINGRESP, an inbound PUBLISH) and reports every publish that
 * timed out, so the connection's supervisor can tell a silent link from a slow broker. It never sends a publish over
 * the Maximum Packet Size of the broker's CONNACK: Paho 1.2.5 checks outgoing packets against the client's own
 * limit instead, so the broker would get it and drop the connection (0x95) at every attempt.
 */
public class UplinkMqttClient extends MqttClient {

    private static final int MESSAGE_RATE_TOO_HIGH = 0x96;
    private static final int QUOTA_EXCEEDED = 0x97;

    private final long publishTimeoutMillis;
    private final PublishShaper shaper;
    private volatile Consumer<Duration> pubackLatency = latency -> { };
    private volatile LongConsumer publishTimedOut = sentAt -> { };
    /** {@link System#nanoTime()} when the last packet from the broker was handed to this client. */
    private volatile long lastInboundNanos = System.nanoTime();
    /** The Maximum Packet Size of the last CONNACK; {@link Integer#MAX_VALUE} when it named none. */
    private volatile int maximumPacketSize = Integer.MAX_VALUE;

    public UplinkMqttClient(String serverUri, String clientId, Duration publishTimeout) throws MqttException {
        this(serverUri, clientId, publishTimeout, PublishShaper.off());
    }

    /** Whether enough publishes wait for AWS's quotas already: more would only wait longer ({@link PublishShaper}). */
    public boolean quotaLineFull() {
        return shaper.lineIsFull();
    }

    /** The quotas the client keeps now: the configured ones, or lower for a while after the broker said 0x97/0x96. */
    public PublishShaper.Limits quotaLimits() {
        return shaper.limits();
    }

    public UplinkMqttClient(String serverUri, String clientId, Duration publishTimeout, PublishShaper shaper)
            throws MqttException {
        super(serverUri, clientId, new MemoryPersistence());
        // the same client as MqttClient made, with a keep-alive timer that also reports PINGRESPs
        aClient.close();
        aClient = new MqttAsyncClient(serverUri, clientId, new MemoryPersistence(), new KeepAlivePings(this::received),
                null);
        this.publishTimeoutMillis = publishTimeout.toMillis();
        this.shaper = shaper;
    }

    /**
     * Sets the callback Paho calls back on, as {@link MqttClient#setCallback} does; a DISCONNECT from the broker that
     * says the connection sent too much ({@code 0x96 message rate too high}, {@code 0x97 quota exceeded}) first slows
     * the shaper down, so the publishes after the reconnect go out at the lower rate.
     */
    @Override
    public void setCallback(MqttCallback callback) {
        super.setCallback(callback == null ? null : new QuotaSignals(callback));
    }

    /** A callback that tells the shaper of a DISCONNECT for too much traffic, then hands everything on. */
    private final class QuotaSignals implements MqttCallback {

        private final MqttCallback next;

        QuotaSignals(MqttCallback next) {
            this.next = next;
        }

        @Override
        public void disconnected(MqttDisconnectResponse response) {
            int code = response.getReturnCode();
            if (code == MESSAGE_RATE_TOO_HIGH || code == QUOTA_EXCEEDED) {
                shaper.slowDown("DISCONNECT " + ReasonCodes.describe(code));
            }
            next.disconnected(response);
        }

        @Override
        public void mqttErrorOccurred(MqttException exception) {
            next.mqttErrorOccurred(exception);
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) throws Exception {
            next.messageArrived(topic, message);
        }

        @Override
        public void deliveryComplete(IMqttToken token) {
            next.deliveryComplete(token);
        }

        @Override
        public void connectComplete(boolean reconnect, String serverURI) {
            next.connectComplete(reconnect, serverURI);
        }

        @Override
        public void authPacketArrived(int reasonCode, MqttProperties properties) {
            next.authPacketArrived(reasonCode, properties);
        }
    }

    /** Told the time from PUBLISH to PUBACK of every acknowledged publish. */
    public void onPuback(Consumer<Duration> listener) {
        this.pubackLatency = listener;
    }

    /**
     * Told of every publish that got no PUBACK within the publish timeout, with the {@link System#nanoTime()} it was
     * handed to Paho at; runs on the publishing thread, just before the publish fails.
     */
    public void onPublishTimeout(LongConsumer listener) {
        this.publishTimedOut = listener;
    }

    /** Whether a packet came from the broker after {@code nanoTime} (a {@link System#nanoTime()} value). */
    public boolean receivedSince(long nanoTime) {
        return lastInboundNanos - nanoTime > 0;
    }

    private void received() {
        lastInboundNanos = System.nanoTime();
    }

    /** Connects like {@link #connectWithResult}, which notes what the CONNACK grants. */
    @Override
    public void connect(MqttConnectionOptions options) throws MqttSecurityException, MqttException {
        connectWithResult(options);
    }

    @Override
    public IMqttToken connectWithResult(MqttConnectionOptions options) throws MqttSecurityException, MqttException {
        IMqttToken connack = super.connectWithResult(options);
        received();
        MqttProperties granted = connack.getResponseProperties();
        Long limit = granted == null ? null : granted.getMaximumPacketSize();
        maximumPacketSize = limit == null || limit <= 0 || limit > Integer.MAX_VALUE ? Integer.MAX_VALUE
                : limit.intValue();
        return connack;
    }

    /**
     * The largest PUBLISH packet, in bytes, the broker takes on this connection (its CONNACK's Maximum Packet Size),
     * {@link Integer#MAX_VALUE} when it set no limit or before the first connection.
     */
    public int maximumPacketSize() {
        return maximumPacketSize;
    }

    /** Subscribes; an inbound PUBLISH on the subscriptions counts as a packet from the broker, as the SUBACK does. */
    @Override
    public IMqttToken subscribe(MqttSubscription[] subscriptions, IMqttMessageListener[] listeners)
            throws MqttException {
        IMqttMessageListener[] noting = new IMqttMessageListener[listeners.length];
        for (int i = 0; i < listeners.length; i++) {
            IMqttMessageListener listener = listeners[i];
            noting[i] = (topic, message) -> {
                received();
                listener.messageArrived(topic, message);
            };
        }
        IMqttToken suback = super.subscribe(subscriptions, noting);
        received();
        return suback;
    }

    /**
     * Publishes at QoS 1 once the quotas allow (counting the whole packet as sent), and waits for the PUBACK (at most
     * the publish timeout); a refusal throws {@link PublishRefusedException} (after a 0x97 the quotas are lower for a
     * while), a packet over the broker's maximum packet size {@link PacketTooLargeException} without sending it, no
     * PUBACK in time Paho's 32000, no connection Paho's 32104.
     */
    private static boolean isBatch(MqttMessage message) {
        return message.getProperties() != null && message.getProperties().getUserProperties() != null
                && message.getProperties().getUserProperties().stream().anyMatch(p -> "batch_size".equals(p.getKey()));
    }

    @Override
    public void publish(String topic, MqttMessage message) throws MqttException {
        requireQos1(topic, message);
        int size = PublishPacket.size(topic, message);
        requireWithinMaximumPacketSize(topic, size);
        boolean batch = isBatch(message);
        if (batch && size > shaper.publishBytesNow()) {
            throw new BatchOverRateException(topic, size, shaper.publishBytesNow());
        }
        try {
            // the bytes sent: the whole packet, the payload as it is (compressed or not); a batch never goes before
            // a single reading waiting in line (an event, a command's answer)
            shaper.acquire(size, !batch);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MqttException(MqttClientException.REASON_CODE_CLIENT_DISCONNECTING, e);
        }
        long sent = System.nanoTime();
        IMqttToken token = awaitSettled(topic, message, sent);
        pubackLatency.accept(Duration.ofNanos(System.nanoTime() - sent));
        PublishRefusedException refused = refusal(topic, token);
        if (refused != null) {
            if (refused.reasonCode() == QUOTA_EXCEEDED) {
                shaper.slowDown("PUBACK " + ReasonCodes.describe(QUOTA_EXCEEDED) + " for '" + topic + "'");
            }
            throw refused;
        }
    }

    /**
     * Hands the publish to Paho and waits until Paho has settled it on its callback thread, which it does after it
     * freed the publish's place among the broker's receive maximum: so once this returns, the next publish finds
     * that place free (waiting on the token itself would return a moment before, and the next publish would be
     * refused with 32202).
     */
    private IMqttToken awaitSettled(String topic, MqttMessage message, long sent) throws MqttException {
        CompletableFuture<IMqttToken> settled = new CompletableFuture<>();
        aClient.publish(topic, message, null, new MqttActionListener() {
            @Override
            public void onSuccess(IMqttToken token) {
                received(); // the PUBACK, whatever its reason code
                settled.complete(token);
            }

            @Override
            public void onFailure(IMqttToken token, Throwable failure) {
                settled.completeExceptionally(failure);
            }
        });
        try {
            return settled.get(publishTimeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof MqttException mqtt) {
                throw DescribedMqttException.of(mqtt);
            }
            throw new DescribedMqttException(MqttException.REASON_CODE_CLIENT_EXCEPTION, e.getCause());
        } catch (TimeoutException e) {
            publishTimedOut.accept(sent);
            throw new MqttException(MqttClientException.REASON_CODE_CLIENT_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MqttException(MqttClientException.REASON_CODE_CLIENT_DISCONNECTING, e);
        }
    }

    @Override
    public void publish(String topic, byte[] payload, int qos, boolean retained) throws MqttException {
        MqttMessage message = new MqttMessage(payload);
        message.setQos(qos);
        message.setRetained(retained);
        publish(topic, message);
    }

    private static void requireQos1(String topic, MqttMessage message) {
        if (message.getQos() != 1) {
            throw new UnsupportedQosException("QoS " + message.getQos() + " requested for '" + topic
                    + "': iot-uplink publishes at QoS 1 only (AWS IoT Core has no QoS 2, QoS 0 can lose readings);"
                    + " set qos=1 on the paho-mqtt5 endpoint");
        }
    }

    private void requireWithinMaximumPacketSize(String topic, int size) throws PacketTooLargeException {
        int limit = maximumPacketSize;
        if (size > limit) {
            throw new PacketTooLargeException(topic, size, limit);
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
}
