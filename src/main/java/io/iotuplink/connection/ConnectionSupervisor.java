package io.iotuplink.connection;

import io.iotuplink.AuthenticationException;
import io.iotuplink.TokenRefreshException;
import io.iotuplink.UplinkException;
import io.iotuplink.auth.TokenEvents;
import io.iotuplink.config.Backoff;
import io.iotuplink.config.Durations;
import io.iotuplink.config.MqttSession;
import io.iotuplink.mqtt.MqttOptions;
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

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import javax.net.ssl.SSLSocketFactory;

/**
 * Owns the MQTT connection and is the one writer of its {@link ConnectionMonitor}: connects (the first time too)
 * with exponential back-off and jitter, never more than one CONNECT a second, reconnects when the broker drops the
 * client or the link goes silent (publishes time out with nothing at all from the broker), and on stop disconnects
 * and closes the client so no Paho thread outlives the bundle. The state it writes follows the client:
 * {@code connected} exactly while the client is connected (until stopping).
 *
 * <p>Lock order: the token manager calls {@link #login} and the {@link TokenEvents} methods while holding its own
 * lock, so this class never calls the credentials while holding its lock.
 */
public final class ConnectionSupervisor implements MqttCallback, TokenEvents {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionSupervisor.class);
    /** AWS IoT Core refuses more than one CONNECT per second per client id. */
    static final Duration MIN_CONNECT_SPACING = Duration.ofSeconds(1);
    private static final long FORCED_DISCONNECT_MILLIS = 1_000;
    /** Why a dropped connection stays down, in the history, the log and {@code /status}. */
    static final String RECONNECT_DISABLED = "reconnect disabled (POST /connection {\"reconnect\": true} connects"
            + " again)";

    private final MqttConnection client;
    private final MqttSession session;
    private final Backoff policy;
    private final ConnectionMonitor monitor;
    private final String endpoint;
    private final String caSetting;
    private final ScheduledExecutorService scheduler;
    /** The wall clock, for dates in messages only. */
    private final Clock clock;
    /** Monotonic time: spacing the CONNECTs never follows a step of the wall clock. */
    private final LongSupplier nanos;
    private final List<MqttSubscription> subscriptions = new CopyOnWriteArrayList<>();
    private final List<IMqttMessageListener> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean stopping;
    private volatile boolean reconnectEnabled;
    private volatile Credentials credentials;
    private volatile Supplier<Optional<String>> clockCheck = Optional::empty;
    /** MQTT 5's default when a CONNACK names no receive maximum. */
    private volatile int receiveMaximum = 65_535;
    /** Whether {@link #receiveMaximum} is this connection's: publishing waits for it. */
    private volatile boolean connackRead;
    // guarded by this: what the next CONNECT sends, and where the retries stand
    private SSLSocketFactory socketFactory;
    private String username;
    private byte[] password;
    private long lastAttemptNanos;
    private boolean attempted;
    private int retries;
    private int credentialRetries;
    private int failedAttempts;
    private boolean awaitingCredentials;
    /** The supervisor is closing a connection it found silent: its loss is not news. */
    private boolean replacing;
    private ScheduledFuture<?> pending;

    public ConnectionSupervisor(UplinkMqttClient client, MqttSession session, SSLSocketFactory tls, Backoff policy,
            ConnectionMonitor monitor, String endpoint, String caSetting) {
        this(new PahoConnection(client), session, tls, policy, monitor, endpoint, caSetting,
                Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "uplink-connection");
                    t.setDaemon(true);
                    return t;
                }), Clock.systemUTC(), System::nanoTime);
    }

    /**
     * @param scheduler runs every CONNECT, one at a time; the supervisor shuts it down on {@link #stop}
     * @param clock     the wall clock, named in a message when the server's certificate is judged by it
     * @param nanos     monotonic time, which spaces the CONNECTs
     */
    ConnectionSupervisor(MqttConnection client, MqttSession session, SSLSocketFactory tls, Backoff policy,
            ConnectionMonitor monitor, String endpoint, String caSetting, ScheduledExecutorService scheduler,
            Clock clock, LongSupplier nanos) {
        this.client = client;
        this.session = session;
        this.socketFactory = tls;
        this.policy = policy;
        this.monitor = monitor;
        this.endpoint = endpoint;
        this.caSetting = caSetting;
        this.scheduler = scheduler;
        this.clock = clock;
        this.nanos = nanos;
        this.reconnectEnabled = policy.enabled();
        monitor.reconnectEnabled(reconnectEnabled);
        client.setCallback(this);
        client.onPublishTimeout(this::publishTimedOut);
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
        monitor.transition(ConnectionState.CONNECTING, "connecting to " + endpoint + " as " + client.clientId(),
                null);
        schedule(Duration.ZERO);
    }

    /**
     * Whether the client is connected now and its CONNACK read (the receive maximum is this connection's): the
     * truth that gates publishing (the monitor reports it).
     */
    public boolean isConnected() {
        return connackRead && client.isConnected();
    }

    /** Token credentials that must be fresh before each CONNECT (the custom authorizer), or none. */
    public interface Credentials {
        /** Makes sure {@link #login} has the user name and password to send; throws when it cannot. */
        void beforeConnect();

        /** The broker refused them: the next CONNECT must use new ones. */
        void rejected();

        /** Credentials made of the two steps. */
        static Credentials of(Runnable beforeConnect, Runnable rejected) {
            return new Credentials() {
                @Override
                public void beforeConnect() {
                    beforeConnect.run();
                }

                @Override
                public void rejected() {
                    rejected.run();
                }
            };
        }
    }

    public void useCredentials(Credentials credentials) {
        this.credentials = credentials;
    }

    /**
     * What is wrong with the gateway's clock, asked before each CONNECT (the device certificate outside its validity):
     * the CONNECT is still made (the broker judges by its own clock), and a failed one says the clock may be why.
     */
    public void checkClockBeforeConnect(Supplier<Optional<String>> check) {
        this.clockCheck = check;
    }

    /** The user name and password of the next CONNECT; a CONNECT under way keeps what it started with. */
    public synchronized void login(String username, byte[] password) {
        this.username = username;
        this.password = password == null ? null : password.clone();
    }

    /** The socket factory (a renewed certificate) the next CONNECT uses; the current connection is left alone. */
    public synchronized void useSocketFactory(SSLSocketFactory factory) {
        this.socketFactory = factory;
    }

    /** Drops the connection and connects again at once (with the freshest certificate). */
    public void reconnectNow() {
        synchronized (this) {
            if (stopping) {
                return;
            }
            cancelPending();
        }
        scheduler.execute(() -> {
            try {
                if (client.isConnected()) {
                    client.disconnect(1_000);
                }
            } catch (MqttException e) {
                forceDisconnect();
            }
            synchronized (this) {
                if (stopping) {
                    return;
                }
                retries = 0;
                monitor.transition(observed(ConnectionState.RECONNECTING), "reconnect requested", null);
                schedule(Duration.ZERO);
            }
        });
    }

    /** Switches reconnection off or on while running; switching it on reconnects at once if disconnected. */
    public synchronized void reconnectEnabled(boolean enabled) {
        reconnectEnabled = enabled;
        monitor.reconnectEnabled(enabled);
        monitor.transition(observed(monitor.state()), "reconnection switched " + (enabled ? "on" : "off"), null);
        if (enabled && !client.isConnected() && !stopping && (pending == null || pending.isDone())) {
            retries = 0;
            schedule(Duration.ZERO);
        }
    }

    /**
     * A publish sent at {@code sentAt} got no PUBACK within the publish timeout. When nothing at all came from the
     * broker since then, the link is silent (packets dropped, no RST): the connection is closed at once and replaced,
     * as if the broker had dropped it, instead of waiting for the keep-alive to notice. A broker that is only slow
     * (other packets arrive) keeps its connection, and the publish is retried as any timeout is. Publishes timing out
     * together replace the connection once.
     */
    synchronized void publishTimedOut(long sentAt) {
        if (stopping || replacing || !client.isConnected() || client.receivedSince(sentAt)) {
            return;
        }
        replacing = true;
        cancelPending();
        // stop() sets stopping under this lock before it shuts the scheduler down: this is never refused
        scheduler.execute(() -> {
            forceDisconnect();
            synchronized (this) {
                replacing = false;
                if (stopping) {
                    return;
                }
                lost("connection to " + endpoint + " silent", "no PUBACK nor any other packet from the broker for "
                        + Durations.format(session.publishTimeout()) + " while publishes waited");
            }
        });
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
            cancelPending();
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
            error = ReasonCodes.describe(e);
            forceDisconnect();
        }
        try {
            client.close();
        } catch (MqttException e) {
            LOG.debug("Closing the MQTT client: {}", ReasonCodes.describe(e));
        }
        monitor.transition(ConnectionState.DISCONNECTED, "disconnected from " + endpoint, error);
    }

    /** A background refresh failed: a connection that is up stays up, since AWS checks the token at CONNECT only. */
    @Override
    public synchronized void refreshFailed(TokenRefreshException failure, Duration retryIn) {
        if (stopping) {
            return;
        }
        if (client.isConnected()) {
            monitor.transition(ConnectionState.CONNECTED, "token refresh failed; the connection stays up (AWS"
                    + " checks the token at CONNECT only); retrying in " + Durations.format(retryIn),
                    failure.getMessage());
        } else {
            monitor.transition(observed(monitor.state()), "token refresh failed; retrying in "
                    + Durations.format(retryIn) + " (a CONNECT waits for a working provider)", failure.getMessage());
        }
    }

    /** A refresh works again: a CONNECT waiting for it goes now; a connection that is up is not touched. */
    @Override
    public synchronized void refreshRecovered() {
        if (stopping) {
            return;
        }
        if (client.isConnected()) {
            monitor.transition(ConnectionState.CONNECTED, "token refresh works again", null);
        } else if (awaitingCredentials) {
            awaitingCredentials = false;
            monitor.transition(ConnectionState.RECONNECTING, "token refresh works again; connecting", null);
            cancelPending();
            schedule(Duration.ZERO);
        } else {
            LOG.info("Token refresh works again; the next CONNECT uses the new token");
        }
    }

    private void forceDisconnect() {
        try {
            client.disconnectForcibly(FORCED_DISCONNECT_MILLIS);
        } catch (MqttException e) {
            LOG.debug("Forced disconnect: {}", ReasonCodes.describe(e));
        }
    }

    /** {@code connected} while the client is, else {@code otherwise} (never {@code connected}). */
    private ConnectionState observed(ConnectionState otherwise) {
        if (client.isConnected() && !stopping) {
            return ConnectionState.CONNECTED;
        }
        return otherwise == ConnectionState.CONNECTED ? ConnectionState.RECONNECTING : otherwise;
    }

    private synchronized void cancelPending() {
        if (pending != null) {
            pending.cancel(false);
        }
    }

    private synchronized void schedule(Duration delay) {
        if (stopping) {
            return;
        }
        long sinceLast = TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong() - lastAttemptNanos);
        long floor = attempted ? Math.max(0, MIN_CONNECT_SPACING.toMillis() - sinceLast) : 0;
        pending = scheduler.schedule(this::attempt, Math.max(delay.toMillis(), floor), TimeUnit.MILLISECONDS);
    }

    /** Counts one more retry and returns its delay. */
    private synchronized Duration nextRetry() {
        retries++;
        return policy.delay(Math.min(retries, policy.maxAttempts()), MIN_CONNECT_SPACING);
    }

    private void attempt() {
        Credentials login;
        synchronized (this) {
            if (stopping || client.isConnected()) {
                return;
            }
            awaitingCredentials = false;
            lastAttemptNanos = nanos.getAsLong();
            attempted = true;
            login = credentials;
        }
        if (login != null) {
            try {
                login.beforeConnect();
            } catch (RuntimeException e) {
                credentialsFailed(e);
                return;
            }
        }
        Optional<String> clockProblem = clockCheck.get();
        try {
            connackRead = false;
            MqttProperties connack = client.connect(connectOptions());
            Integer granted = connack == null ? null : connack.getReceiveMaximum();
            receiveMaximum = granted == null || granted <= 0 ? 65_535 : granted;
            connackRead = true;
            subscribeAll();
            connected();
        } catch (MqttException | RuntimeException e) {
            monitor.countAttempt(false);
            UplinkException failure = ConnectFailure.classify(e, endpoint, client.clientId(), caSetting,
                    clock.instant());
            if (login != null && failure instanceof AuthenticationException) {
                login.rejected();
            }
            failed(failure.getMessage() + clockProblem.map(problem -> "; " + problem).orElse(""));
        }
    }

    /** A fresh copy for each CONNECT: one being sent is never changed under Paho. */
    private synchronized MqttConnectionOptions connectOptions() {
        MqttConnectionOptions options = MqttOptions.connect(session, socketFactory);
        if (username != null) {
            options.setUserName(username);
        }
        if (password != null) {
            options.setPassword(password.clone());
        }
        return options;
    }

    /** No CONNECT without a token: wait for the provider with the back-off, without giving up. */
    private synchronized void credentialsFailed(RuntimeException e) {
        if (stopping) {
            return;
        }
        // counted apart from the CONNECT retries: waiting for a provider never gives up
        credentialRetries = Math.min(credentialRetries + 1, policy.maxAttempts());
        Duration delay = policy.delay(credentialRetries, MIN_CONNECT_SPACING);
        awaitingCredentials = true;
        monitor.transition(ConnectionState.CREDENTIAL_REFRESH_FAILED, "no token for the CONNECT; trying again in "
                + Durations.format(delay) + " (or as soon as the token provider works again)",
                e.getMessage());
        schedule(delay);
    }

    private synchronized void connected() {
        monitor.countAttempt(true);
        retries = 0;
        credentialRetries = 0;
        failedAttempts = 0;
        monitor.reconnectAttempts(0);
        // a connection lost already is disconnected()'s to report: it has run or is about to
        if (!stopping && client.isConnected()) {
            monitor.transition(ConnectionState.CONNECTED, "connected to " + endpoint + " as " + client.clientId(),
                    null);
        }
    }

    private void subscribeAll() {
        if (subscriptions.isEmpty()) {
            return;
        }
        try {
            int[] codes = client.subscribe(subscriptions.toArray(new MqttSubscription[0]),
                    listeners.toArray(new IMqttMessageListener[0]));
            for (int i = 0; codes != null && i < codes.length && i < subscriptions.size(); i++) {
                if (codes[i] >= 0x80) {
                    LOG.warn("The broker refused the subscription to {}: SUBACK {} (does the policy allow"
                            + " iot:Subscribe on it?)", subscriptions.get(i).getTopic(), ReasonCodes.describe(codes[i]));
                }
            }
        } catch (MqttException e) {
            LOG.warn("Cannot subscribe to {}: {}", subscriptions.stream().map(MqttSubscription::getTopic).toList(),
                    ReasonCodes.describe(e));
        }
    }

    private synchronized void failed(String failure) {
        if (stopping) {
            return;
        }
        failedAttempts++;
        monitor.reconnectAttempts(failedAttempts);
        if (!reconnectEnabled) {
            monitor.transition(ConnectionState.CONNECTION_FAILED, RECONNECT_DISABLED, failure);
            return;
        }
        if (retries >= policy.maxAttempts()) {
            Duration coolDown = policy.maxDelay();
            monitor.transition(ConnectionState.CONNECTION_FAILED, "gave up after " + policy.maxAttempts()
                    + " retries; starting over in " + Durations.format(coolDown), failure);
            retries = 0;
            failedAttempts = 0;
            schedule(coolDown);
            return;
        }
        Duration delay = nextRetry();
        monitor.transition(ConnectionState.RECONNECTING, "attempt " + retries + " of " + policy.maxAttempts()
                + " in " + Durations.format(delay), failure);
        schedule(delay);
    }

    @Override
    public synchronized void disconnected(MqttDisconnectResponse response) {
        if (stopping || replacing) {
            return;
        }
        String reason = response.getReturnCode() == 0 && response.getException() != null
                ? ReasonCodes.describe(response.getException())
                : "DISCONNECT " + ReasonCodes.describe(response.getReturnCode())
                        + (response.getReasonString() == null ? "" : " (" + response.getReasonString() + ")");
        lost("connection to " + endpoint + " lost", reason);
    }

    /** The connection is gone ({@code what}, because of {@code reason}): reconnect, or say why not. */
    private synchronized void lost(String what, String reason) {
        if (reconnectEnabled) {
            Duration delay = nextRetry();
            monitor.transition(observed(ConnectionState.RECONNECTING), what + "; reconnecting in "
                    + Durations.format(delay), reason);
            cancelPending();
            schedule(delay);
        } else {
            monitor.transition(observed(ConnectionState.DISCONNECTED), what + "; " + RECONNECT_DISABLED, reason);
        }
    }

    @Override
    public void mqttErrorOccurred(MqttException exception) {
        LOG.warn("MQTT error from {}: {}", endpoint, ReasonCodes.describe(exception));
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
