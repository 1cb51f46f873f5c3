package io.iotuplink.connection;

import io.iotuplink.mqtt.UplinkMqttClient;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

import java.util.function.LongConsumer;

/** The bundle's Paho client seen as the supervisor's {@link MqttConnection}. */
final class PahoConnection implements MqttConnection {

    private final UplinkMqttClient client;

    PahoConnection(UplinkMqttClient client) {
        this.client = client;
    }

    @Override
    public String clientId() {
        return client.getClientId();
    }

    @Override
    public void setCallback(MqttCallback callback) {
        client.setCallback(callback);
    }

    @Override
    public MqttProperties connect(MqttConnectionOptions options) throws MqttException {
        return client.connectWithResult(options).getResponseProperties();
    }

    @Override
    public boolean isConnected() {
        return client.isConnected();
    }

    @Override
    public void onPublishTimeout(LongConsumer listener) {
        client.onPublishTimeout(listener);
    }

    @Override
    public boolean receivedSince(long moment) {
        return client.receivedSince(moment);
    }

    @Override
    public int[] subscribe(MqttSubscription[] subscriptions, IMqttMessageListener[] listeners)
            throws MqttException {
        return client.subscribe(subscriptions, listeners).getReasonCodes();
    }

    @Override
    public void disconnect(long timeoutMillis) throws MqttException {
        client.disconnect(timeoutMillis);
    }

    @Override
    public void disconnectForcibly(long timeoutMillis) throws MqttException {
        // no quiesce and no DISCONNECT packet: this runs when the polite disconnect already failed
        client.disconnectForcibly(0, timeoutMillis, false);
    }

    @Override
    public void close() throws MqttException {
        client.close(true);
    }
}
