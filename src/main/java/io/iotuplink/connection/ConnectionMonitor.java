package io.iotuplink.connection;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The connection state for readers (status, health, metrics): every transition is recorded in a bounded history and
 * announced. Only the {@link ConnectionSupervisor}, which observes the client, writes it.
 */
public final class ConnectionMonitor {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionMonitor.class);

    private final Clock clock;
    private final int historySize;
    private final Deque<ConnectionEvent> history = new ArrayDeque<>();
    private final List<Consumer<ConnectionEvent>> listeners = new CopyOnWriteArrayList<>();
    private volatile ConnectionState state = ConnectionState.DISCONNECTED;
    private volatile int reconnectAttempts;
    private volatile boolean reconnectEnabled = true;
    private final java.util.concurrent.atomic.AtomicLong connectAttempts = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong connectSuccesses = new java.util.concurrent.atomic.AtomicLong();

    public ConnectionMonitor(Clock clock, int historySize) {
        this.clock = clock;
        this.historySize = historySize;
    }

    /** Moves to {@code next}, records it and tells the listeners; {@code error} is null unless it failed. */
    void transition(ConnectionState next, String message, String error) {
        ConnectionEvent event = new ConnectionEvent(clock.instant(), next, message, error);
        synchronized (history) {
            state = next;
            history.addLast(event);
            while (history.size() > historySize) {
                history.removeFirst();
            }
        }
        // key-value pairs: UPLINK_LOG_FORMAT=json writes them as fields of the line
        if (error == null) {
            LOG.atInfo().addKeyValue("connection_state", next.jsonName())
                    .log("MQTT {}: {}", next.jsonName(), message);
        } else {
            LOG.atWarn().addKeyValue("connection_state", next.jsonName()).addKeyValue("error", error)
                    .log("MQTT {}: {}: {}", next.jsonName(), message, error);
        }
        for (Consumer<ConnectionEvent> listener : listeners) {
            try {
                listener.accept(event);
            } catch (RuntimeException e) {
                LOG.warn("A connection event listener failed: {}", e.getCause() == null ? e.toString()
                        : e.getCause().toString());
            }
        }
    }

    public void onEvent(Consumer<ConnectionEvent> listener) {
        listeners.add(listener);
    }

    public ConnectionState state() {
        return state;
    }

    public boolean isConnected() {
        return state == ConnectionState.CONNECTED;
    }

    public List<ConnectionEvent> history() {
        synchronized (history) {
            return List.copyOf(history);
        }
    }

    /** Why the connection is not up (the last thing that happened to it and its error), or null while it is. */
    public String reason() {
        if (isConnected()) {
            return null;
        }
        ConnectionEvent last;
        synchronized (history) {
            last = history.peekLast();
        }
        if (last == null) {
            return null;
        }
        return last.error() == null ? last.message() : last.message() + ": " + last.error();
    }

    public int reconnectAttempts() {
        return reconnectAttempts;
    }

    void reconnectAttempts(int attempts) {
        this.reconnectAttempts = attempts;
    }

    /** Whether the supervisor reconnects when the connection drops (the operator may switch it off). */
    public boolean reconnectEnabled() {
        return reconnectEnabled;
    }

    void reconnectEnabled(boolean enabled) {
        this.reconnectEnabled = enabled;
    }

    /** Counts one CONNECT attempt and whether it succeeded (seed 003's connection metrics). */
    void countAttempt(boolean success) {
        connectAttempts.incrementAndGet();
        if (success) {
            connectSuccesses.incrementAndGet();
        }
    }

    public long connectAttempts() {
        return connectAttempts.get();
    }

    public long connectSuccesses() {
        return connectSuccesses.get();
    }

    /** Successful CONNECTs over attempts, 1.0 before the first attempt. */
    public double successRate() {
        long attempts = connectAttempts.get();
        return attempts == 0 ? 1.0 : (double) connectSuccesses.get() / attempts;
    }
}
