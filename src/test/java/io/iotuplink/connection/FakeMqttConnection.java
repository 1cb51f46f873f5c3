package io.iotuplink.connection;

import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

import java.net.ConnectException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * An MQTT client without a network: CONNECTs succeed or fail as the test says, it drops when told to, and its
 * publishes time out when told to. Its moments (when a publish was sent, when a packet came) are the test's numbers.
 */
final class FakeMqttConnection implements MqttConnection {

    /** The options of every CONNECT, in order. */
    final List<MqttConnectionOptions> connects = new ArrayList<>();
    private final Deque<MqttException> failures = new ArrayDeque<>();
    private Consumer<MqttConnectionOptions> duringConnect = options -> { };
    private Runnable duringSubscribe = () -> { };
    private MqttCallback callback;
    private boolean connected;
    private boolean closed;
    private int forcedDisconnects;
    private LongConsumer publishTimeouts = sentAt -> { };
    private long lastReceived = Long.MIN_VALUE;
    private long moment;

    /** The next {@code count} CONNECTs find nothing listening. */
    void refuseNextConnects(int count) {
        for (int i = 0; i < count; i++) {
            failures.add(new MqttException(MqttClientException.REASON_CODE_SERVER_CONNECT_ERROR,
                    new ConnectException("Connection refused")));
        }
    }

    /** The next CONNECT fails with {@code failure} (a TLS handshake that failed...). */
    void failNextConnect(MqttException failure) {
        failures.add(failure);
    }

    /** Runs while a CONNECT is on the wire, before it returns. */
    void duringConnect(Consumer<MqttConnectionOptions> action) {
        this.duringConnect = action;
    }

    /** Runs while a SUBSCRIBE is on the wire, after the CONNECT succeeded. */
    void duringSubscribe(Runnable action) {
        this.duringSubscribe = action;
    }

    /** The broker goes away: the client is disconnected, then Paho's callback runs. */
    void drop() {
        drop(new MqttException(MqttClientException.REASON_CODE_CONNECTION_LOST));
    }

    /** The client shuts the connection down itself, for {@code cause}. */
    void drop(MqttException cause) {
        connected = false;
        callback.disconnected(new MqttDisconnectResponse(cause));
    }

    /** A packet (a PUBACK, a PINGRESP, ...) comes from the broker at {@code at}. */
    void receives(long at) {
        lastReceived = Math.max(lastReceived, at);
    }

    /** A publish sent at {@code sentAt} got no PUBACK in time: Paho's publish tells the listener, then fails. */
    void publishTimesOut(long sentAt) {
        publishTimeouts.accept(sentAt);
    }

    /** Moments for the test: each call a later one. */
    long now() {
        return ++moment;
    }

    int forcedDisconnects() {
        return forcedDisconnects;
    }

    boolean closed() {
        return closed;
    }

    @Override
    public String clientId() {
        return "fake-device";
    }

    @Override
    public void setCallback(MqttCallback callback) {
        this.callback = callback;
    }

    @Override
    public MqttProperties connect(MqttConnectionOptions options) throws MqttException {
        connects.add(options);
        duringConnect.accept(options);
        MqttException failure = failures.poll();
        if (failure != null) {
            throw failure;
        }
        connected = true;
        receives(now()); // the CONNACK
        return new MqttProperties();
    }

    @Override
    public boolean isConnected() {
        return connected;
    }

    @Override
    public void onPublishTimeout(LongConsumer listener) {
        this.publishTimeouts = listener;
    }

    @Override
    public boolean receivedSince(long at) {
        return lastReceived > at;
    }

    @Override
    public int[] subscribe(MqttSubscription[] subscriptions, IMqttMessageListener[] listeners) {
        duringSubscribe.run();
        return new int[subscriptions.length];
    }

    @Override
    public void disconnect(long timeoutMillis) {
        connected = false;
    }

    @Override
    public void disconnectForcibly(long timeoutMillis) {
        forcedDisconnects++;
        connected = false;
    }

    @Override
    public void close() {
        closed = true;
    }
}
