package io.iotuplink.connection;

import io.iotuplink.logging.RepeatedProblem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The connection state for readers (status, health, metrics): every transition is recorded in a bounded history and
 * announced. Only the {@link ConnectionSupervisor}, which observes the client, writes it.
 */
public final class ConnectionMonitor {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionMonitor.class);

    private final Clock clock;
    private final int historySize;
    /**
     * A broker down or a link going silent again and again: each state with the same error (or, without one, each
     * state) is logged once, then in one summary a minute; the history and the listeners still get every event.
     */
    private final RepeatedProblem problems;
    private final RepeatedProblem changes;
    private final Deque<ConnectionEvent> history = new ArrayDeque<>();
    private final List<Consumer<ConnectionEvent>> listeners = new CopyOnWriteArrayList<>();
    private volatile ConnectionState state = ConnectionState.DISCONNECTED;
    private volatile int reconnectAttempts;
    private volatile boolean reconnectEnabled = true;
    private final java.util.concurrent.atomic.AtomicLong connectAttempts = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong connectSuccesses = new java.util.concurrent.atomic.AtomicLong();

    public ConnectionMonitor(Clock clock, int historySize) {
        this(clock, historySize, System::nanoTime);
    }

    /** {@code nanos}: monotonic time, for the summaries of repeated transitions in the log. */
    public ConnectionMonitor(Clock clock, int historySize, LongSupplier nanos) {
        this.clock = clock;
        this.historySize = historySize;
        this.problems = RepeatedProblem.warn(LOG, "MQTT connection problems", nanos);
        this.changes = RepeatedProblem.info(LOG, "MQTT connection changes", nanos);
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
            changes.report(next.jsonName(), Map.of("connection_state", next.jsonName()), "MQTT {}: {}",
                    next.jsonName(), message);
        } else {
            problems.report(next.jsonName() + " " + error, keyValues(next, error), "MQTT {}: {}: {}", next.jsonName(), message, error);
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

    /** In this order in a JSON log line. */
    private static Map<String, String> keyValues(ConnectionState state, String error) {
        Map<String, String> keyValues = new LinkedHashMap<>();
        keyValues.put("connection_state", state.jsonName());
        keyValues.put("error", error);
        return keyValues;
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
