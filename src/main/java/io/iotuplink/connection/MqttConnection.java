package io.iotuplink.connection;

import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

import java.util.function.LongConsumer;

/** The part of an MQTT client the supervisor drives; the client's {@link #isConnected()} is the truth. */
interface MqttConnection {

    String clientId();

    void setCallback(MqttCallback callback);

    /** Connects with {@code options} and returns the CONNACK's properties, or null when it has none. */
    MqttProperties connect(MqttConnectionOptions options) throws MqttException;

    boolean isConnected();

    /**
     * Told of each publish that got no PUBACK in time, with the moment it was sent in the time of
     * {@link #receivedSince}; may run on any publishing thread.
     */
    void onPublishTimeout(LongConsumer listener);

    /** Whether any packet came from the broker after {@code moment} (a moment a publish timeout reported). */
    boolean receivedSince(long moment);

    /** Subscribes and returns the SUBACK's reason codes, one per subscription. */
    int[] subscribe(MqttSubscription[] subscriptions, IMqttMessageListener[] listeners) throws MqttException;

    void disconnect(long timeoutMillis) throws MqttException;

    /** Drops the network connection without waiting for the broker. */
    void disconnectForcibly(long timeoutMillis) throws MqttException;

    /** Releases the client's threads and resources; it cannot connect again. */
    void close() throws MqttException;
}
