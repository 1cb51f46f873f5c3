package io.iotuplink.connection;

import io.iotuplink.UplinkException;
import io.iotuplink.config.Backoff;
import io.iotuplink.config.Durations;
import io.iotuplink.mqtt.ReasonCodes;
import io.iotuplink.mqtt.UplinkMqttClient;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;

/**
 * Owns the MQTT connection: connects (the first time too) with exponential back-off and jitter, never more than
 * one CONNECT a second, reconnects when the broker drops the client, and on stop disconnects and closes the client
 * so no Paho thread outlives the bundle.
 */
public final class ConnectionSupervisor implements MqttCallback {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionSupervisor.class);
    /** AWS IoT Core refuses more than one CONNECT per second per client id. */
    static final Duration MIN_CONNECT_SPACING = Duration.ofSeconds(1);

    private final UplinkMqttClient client;
    private final MqttConnectionOptions options;
    private final Backoff policy;
    private final ConnectionMonitor monitor;
    private final String endpoint;
    private final String caSetting;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "uplink-connection");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean stopping;
    private volatile boolean reconnectEnabled;
    private volatile long lastAttemptNanos;
    private int failedAttempts;
    private ScheduledFuture<?> pending;
    private volatile Credentials credentials;
    /** MQTT 5's default when a CONNACK names no receive maximum. */
    private volatile int receiveMaximum = 65_535;
    private final List<MqttSubscription> subscriptions = new CopyOnWriteArrayList<>();
    private final List<IMqttMessageListener> listeners = new CopyOnWriteArrayList<>();

    public ConnectionSupervisor(UplinkMqttClient client, MqttConnectionOptions options, Backoff policy,
            ConnectionMonitor monitor, String endpoint, String caSetting) {
        this.client = client;
        this.options = options;
        this.policy = policy;
        this.monitor = monitor;
        this.endpoint = endpoint;
        this.caSetting = caSetting;
        this.reconnectEnabled = policy.enabled();
        client.setCallback(this);
    }

    /**
     * Subscribes {@code filter} at QoS 1 on every connection from now on (a clean start forgets subscriptions).
     * The listener runs on Paho's callback thread: it must hand the message on, never publish and wait there.
     */
    public void subscribe(String filter, IMqttMessageListener listener) {
        subscriptions.add(new MqttSubscription(filter, 1));
        listeners.add(listener);
    }

    /** Starts connecting in the background; publishes made before the connection is up are retried. */
    public synchronized void start() {
        stopping = false;
        monitor.transition(ConnectionState.CONNECTING, "connecting to " + endpoint + " as " + client.getClientId(),
                null);
        schedule(Duration.ZERO);
    }

    /** Token credentials that must be fresh before each CONNECT (the custom authorizer), or none. */
    public interface Credentials {
        /** Makes sure the user name and password in the CONNECT options are fresh; may throw. */
        void beforeConnect();

        /** The broker refused them: the next CONNECT must use new ones. */
        void rejected();
    }

    public void useCredentials(Credentials credentials) {
        this.credentials = credentials;
    }

    /** The user name and password of the next CONNECT. */
    public synchronized void login(String username, byte[] password) {
        options.setUserName(username);
        options.setPassword(password);
    }

    /** The socket factory (a renewed certificate) the next CONNECT uses; the current connection is left alone. */
    public synchronized void useSocketFactory(SocketFactory factory) {
        options.setSocketFactory(factory);
    }

    /** Drops the connection and connects again at once (with the freshest certificate). */
    public void reconnectNow() {
        synchronized (this) {
            if (stopping) {
                return;
            }
            if (pending != null) {
                pending.cancel(false);
            }
        }
        monitor.transition(ConnectionState.RECONNECTING, "reconnect requested", null);
        scheduler.execute(() -> {
            try {
                if (client.isConnected()) {
                    client.disconnect(1_000);
                }
            } catch (MqttException e) {
                forceDisconnect();
            }
            synchronized (this) {
                failedAttempts = 0;
            }
            schedule(Duration.ZERO);
        });
    }

    /** Switches reconnection off or on while running; switching it on reconnects at once if disconnected. */
    public synchronized void reconnectEnabled(boolean enabled) {
        reconnectEnabled = enabled;
        monitor.transition(monitor.state(), "reconnection switched " + (enabled ? "on" : "off"), null);
        if (enabled && !client.isConnected() && !stopping && (pending == null || pending.isDone())) {
            failedAttempts = 0;
            schedule(Duration.ZERO);
        }
    }

    /** The most QoS 1 publishes the broker takes unacknowledged on this connection (CONNACK receive maximum). */
    public int receiveMaximum() {
        return receiveMaximum;
    }

    public boolean reconnectEnabled() {
        return reconnectEnabled;
    }

    /** Disconnects (waiting up to {@code timeout} for in-flight work) and closes the client. */
    public void stop(Duration timeout) {
        synchronized (this) {
            stopping = true;
            if (pending != null) {
                pending.cancel(false);
            }
        }
        scheduler.shutdown();
        try {
            scheduler.awaitTermination(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        monitor.transition(ConnectionState.DISCONNECTING, "disconnecting from " + endpoint, null);
        String error = null;
        try {
            if (client.isConnected()) {
                client.disconnect(timeout.toMillis());
            }
        } catch (MqttException e) {
            error = e.getMessage();
            forceDisconnect();
        }
        try {
            client.close(true);
        } catch (MqttException e) {
            LOG.debug("Closing the MQTT client: {}", e.toString());
        }
        monitor.transition(ConnectionState.DISCONNECTED, "disconnected from " + endpoint, error);
    }

    private void forceDisconnect() {
        try {
            client.disconnectForcibly(0, 1_000, false);
        } catch (MqttException e) {
            LOG.debug("Forced disconnect: {}", e.toString());
        }
    }

    private synchronized void schedule(Duration delay) {
        if (stopping) {
            return;
        }
        long sinceLast = System.nanoTime() - lastAttemptNanos;
        long floor = lastAttemptNanos == 0 ? 0 : Math.max(0, MIN_CONNECT_SPACING.toNanos() - sinceLast);
        long nanos = Math.max(delay.toNanos(), floor);
        pending = scheduler.schedule(this::attempt, nanos, TimeUnit.NANOSECONDS);
    }

    private void attempt() {
        if (stopping || client.isConnected()) {
            return;
        }
        lastAttemptNanos = System.nanoTime();
        Credentials login = credentials;
        if (login != null) {
            try {
                login.beforeConnect();
            } catch (UplinkException e) {
                // the credentials' owner has recorded the failure; try again after the back-off
                synchronized (this) {
                    failedAttempts++;
                    schedule(policy.delay(Math.min(failedAttempts, policy.maxAttempts()), MIN_CONNECT_SPACING));
                }
                return;
            }
        }
        try {
            IMqttToken connack = client.connectWithResult(options);
            Integer granted = connack.getResponseProperties() == null ? null
                    : connack.getResponseProperties().getReceiveMaximum();
            receiveMaximum = granted == null || granted <= 0 ? 65_535 : granted;
            subscribeAll();
            synchronized (this) {
                failedAttempts = 0;
            }
            monitor.reconnectAttempts(0);
            monitor.countAttempt(true);
            monitor.transition(ConnectionState.CONNECTED, "connected to " + endpoint + " as " + client.getClientId(),
                    null);
        } catch (MqttException | RuntimeException e) {
            monitor.countAttempt(false);
            UplinkException failure = ConnectFailure.classify(e, endpoint, client.getClientId(), caSetting);
            if (login != null && failure instanceof io.iotuplink.AuthenticationException) {
                login.rejected();
            }
            failed(failure);
        }
    }

    private void subscribeAll() {
        if (subscriptions.isEmpty()) {
            return;
        }
        try {
            IMqttToken token = client.subscribe(subscriptions.toArray(new MqttSubscription[0]),
                    listeners.toArray(new IMqttMessageListener[0]));
            int[] codes = token.getReasonCodes();
            for (int i = 0; codes != null && i < codes.length && i < subscriptions.size(); i++) {
                if (codes[i] >= 0x80) {
                    LOG.warn("The broker refused the subscription to {}: SUBACK {} (does the policy allow"
                            + " iot:Subscribe on it?)", subscriptions.get(i).getTopic(), ReasonCodes.describe(codes[i]));
                }
            }
        } catch (MqttException e) {
            LOG.warn("Cannot subscribe to {}: {}", subscriptions.stream().map(MqttSubscription::getTopic).toList(),
                    e.getMessage());
        }
    }

    private synchronized void failed(UplinkException failure) {
        if (stopping) {
            return;
        }
        failedAttempts++;
        monitor.reconnectAttempts(failedAttempts);
        if (!reconnectEnabled) {
            monitor.transition(ConnectionState.CONNECTION_FAILED, "reconnection is switched off", failure.getMessage());
            return;
        }
        if (failedAttempts > policy.maxAttempts()) {
            Duration coolDown = policy.maxDelay();
            monitor.transition(ConnectionState.CONNECTION_FAILED, "gave up after " + policy.maxAttempts()
                    + " retries; starting over in " + Durations.format(coolDown), failure.getMessage());
            failedAttempts = 0;
            schedule(coolDown);
            return;
        }
        Duration delay = policy.delay(failedAttempts, MIN_CONNECT_SPACING);
        monitor.transition(ConnectionState.RECONNECTING, "attempt " + failedAttempts + " of " + policy.maxAttempts()
                + " in " + Durations.format(delay), failure.getMessage());
        schedule(delay);
    }

    @Override
    public void disconnected(MqttDisconnectResponse response) {
        if (stopping) {
            return;
        }
        String reason = response.getReturnCode() == 0 && response.getException() != null
                ? response.getException().getMessage()
                : "DISCONNECT " + ReasonCodes.describe(response.getReturnCode())
                        + (response.getReasonString() == null ? "" : " (" + response.getReasonString() + ")");
        if (reconnectEnabled) {
            monitor.transition(ConnectionState.RECONNECTING, "connection to " + endpoint + " lost", reason);
            schedule(policy.delay(1, MIN_CONNECT_SPACING));
        } else {
            monitor.transition(ConnectionState.DISCONNECTED, "connection to " + endpoint
                    + " lost; reconnection is switched off", reason);
        }
    }

    @Override
    public void mqttErrorOccurred(MqttException exception) {
        LOG.warn("MQTT error from {}: {}", endpoint, exception.getMessage());
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
        // subscriptions register their own listeners
    }

    @Override
    public void deliveryComplete(IMqttToken token) {
        // publishes wait on their own tokens
    }

    @Override
    public void connectComplete(boolean reconnect, String serverURI) {
        // the state is set where connect() returns
    }

    @Override
    public void authPacketArrived(int reasonCode, MqttProperties properties) {
        // enhanced authentication is not used
    }
}
