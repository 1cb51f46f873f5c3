package io.iotuplink.status;

import io.iotuplink.auth.TokenManager;
import io.iotuplink.connection.ConnectionMonitor;
import io.iotuplink.outbox.InflightWindow;
import io.iotuplink.outbox.OutboxStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;

/**
 * The bundle's own Prometheus metrics (beside Camel's): publishes by kind and result, PUBACK latency, connects,
 * connection state, outbox depth and drops, and records accepted or refused by each input.
 */
public final class UplinkMetrics {

    private final MeterRegistry registry;
    private final Timer puback;

    public UplinkMetrics(MeterRegistry registry, ConnectionMonitor connection, OutboxStore outbox) {
        this.registry = registry;
        this.puback = Timer.builder("uplink.puback").description("Time from PUBLISH to PUBACK")
                .publishPercentiles(0.5, 0.99).register(registry);
        FunctionCounter.builder("uplink.connects", connection, ConnectionMonitor::connectSuccesses)
                .tag("result", "success").description("CONNECT attempts").register(registry);
        FunctionCounter.builder("uplink.connects", connection, c -> c.connectAttempts() - c.connectSuccesses())
                .tag("result", "failure").description("CONNECT attempts").register(registry);
        Gauge.builder("uplink.connected", connection, c -> c.isConnected() ? 1 : 0)
                .description("1 while the MQTT connection is up").register(registry);
        Gauge.builder("uplink.outbox.readings", outbox, OutboxStore::depth)
                .description("Readings waiting in the outbox").register(registry);
        Gauge.builder("uplink.outbox.bytes", outbox, OutboxStore::bytes)
                .description("Bytes of envelopes waiting in the outbox").register(registry);
        FunctionCounter.builder("uplink.outbox.dropped", outbox, OutboxStore::dropped)
                .description("Readings dropped because the outbox was full").register(registry);
    }

    /** With a custom authorizer: {@code uplink_token_refreshes_total}. */
    /** The in-flight window: publishes awaiting their PUBACK now, and the most there were at once. */
    public void inFlight(InflightWindow window) {
        Gauge.builder("uplink.publish.in.flight", window, InflightWindow::inFlight)
                .description("QoS 1 publishes awaiting their PUBACK").register(registry);
        Gauge.builder("uplink.publish.in.flight.peak", window, InflightWindow::peak)
                .description("The most QoS 1 publishes awaiting their PUBACK at once").register(registry);
    }

    public void countTokenRefreshes(TokenManager tokens) {
        // Micrometer holds the measured object weakly: the token manager itself lives as long as the bundle
        FunctionCounter.builder("uplink.token.refreshes", tokens, TokenManager::refreshes)
                .description("Tokens fetched from the provider").register(registry);
    }

    /** One reading's fate: {@code published}, {@code dead_lettered} or {@code kept} (waits for the connection). */
    public void publish(String kind, String result) {
        registry.counter("uplink.publishes", "kind", kind, "result", result).increment();
    }

    public void puback(Duration latency) {
        puback.record(latency);
    }

    /** Records an input accepted or refused. */
    public void input(String input, String result, long n) {
        registry.counter("uplink.input.records", "input", input, "result", result).increment(n);
    }
}
