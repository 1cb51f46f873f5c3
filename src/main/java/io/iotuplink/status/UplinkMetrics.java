package io.iotuplink.status;

import io.iotuplink.auth.TokenManager;
import io.iotuplink.clock.ClockSteps;
import io.iotuplink.connection.ConnectionMonitor;
import io.iotuplink.inputs.InputCounters;
import io.iotuplink.mqtt.PublishShaper;
import io.iotuplink.outbox.Lane;
import io.iotuplink.outbox.OutboxComponent;
import io.iotuplink.outbox.OutboxStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.CamelContext;
import org.apache.camel.component.micrometer.routepolicy.MicrometerRoutePolicyConfiguration;
import org.apache.camel.component.micrometer.routepolicy.MicrometerRoutePolicyFactory;
import org.apache.camel.spi.RoutePolicyFactory;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bundle's own Prometheus metrics (beside Camel's): publishes by kind and result, PUBACK latency, connects,
 * connection state, outbox depth and drops, and records accepted or refused by each input.
 */
public final class UplinkMetrics {

    private final MeterRegistry registry;
    private final Timer puback;
    private final Map<String, Map<String, Counter>> publishes = new ConcurrentHashMap<>();

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
        FunctionCounter.builder("uplink.outbox.expired", outbox, OutboxStore::expired)
                .description("Readings removed unsent because their time to live was up").register(registry);
        for (Lane lane : Lane.values()) {
            Gauge.builder("uplink.outbox.lane.readings", outbox, o -> o.depth(lane)).tag("lane", lane.label())
                    .description("Readings waiting in each lane of the outbox (priority goes out first)")
                    .register(registry);
            Gauge.builder("uplink.outbox.oldest.age", outbox, o -> o.oldestAgeSeconds(lane))
                    .tag("lane", lane.label()).baseUnit("seconds").description("Age of the oldest reading waiting in each lane (0: none)")
                    .register(registry);
        }
        Gauge.builder("uplink.outbox.storage.full", outbox, o -> o.storage().ok() ? 0 : 1)
                .description("1 while the outbox cannot write (its file system is full, or refuses writes): new"
                        + " readings are refused").register(registry);
    }

    /** The outbox's in-flight window: publishes awaiting their PUBACK now, and the most there were at once. */
    public void inFlight(OutboxComponent outbox) {
        Gauge.builder("uplink.publish.in.flight", outbox, OutboxComponent::inFlight)
                .description("QoS 1 publishes awaiting their PUBACK").register(registry);
        Gauge.builder("uplink.publish.in.flight.peak", outbox, OutboxComponent::peakInFlight)
                .description("The most QoS 1 publishes awaiting their PUBACK at once").register(registry);
        Gauge.builder("uplink.outbox.awaiting.removal", outbox, OutboxComponent::awaitingRemoval)
                .description("Published readings whose removal from the outbox failed and is retried")
                .register(registry);
        for (String result : new String[] {"accepted", "published", "failed", "expired", "dropped"}) {
            FunctionCounter.builder("uplink.readings", outbox, o -> switch (result) {
                case "accepted" -> o.books().accepted();
                case "published" -> o.books().published();
                case "failed" -> o.books().deadLettered();
                case "expired" -> o.books().expired();
                default -> o.books().dropped();
            }).tag("result", result).description("Readings by what became of them, since the outbox file was made:"
                    + " accepted = published + failed (dead letters) + expired + dropped + waiting").register(registry);
        }
        Gauge.builder("uplink.outbox.parked", outbox, OutboxComponent::parked)
                .description("Readings waiting out their own back-off after a failed publish").register(registry);
    }

    /**
     * {@code uplink_quota_divisor}: 1 at the configured quotas, 2, 4 or 8 while the broker's 0x97/0x96 slowed the
     * publishes down; {@code uplink_quota_slow_downs_total}: how often it did.
     */
    public void quota(PublishShaper shaper) {
        Gauge.builder("uplink.quota.divisor", shaper, s -> s.limits().divisor())
                .description("1 at the configured quotas; 2, 4 or 8 while the broker's quota signals slow publishing"
                        + " down").register(registry);
        FunctionCounter.builder("uplink.quota.slow.downs", shaper, PublishShaper::slowDowns)
                .description("Times the broker's 0x97 quota exceeded or 0x96 message rate too high halved the"
                        + " publishing rate").register(registry);
    }

    /** {@code uplink_clock_steps_total}: steps of the wall clock seen since the start. */
    public void clockSteps(ClockSteps steps) {
        FunctionCounter.builder("uplink.clock.steps", steps, ClockSteps::steps)
                .description("Steps of the wall clock against monotonic time (each re-based the readings waiting)")
                .register(registry);
    }

    /** With a custom authorizer: {@code uplink_token_refreshes_total}. */
    public void countTokenRefreshes(TokenManager tokens) {
        // Micrometer holds the measured object weakly: the token manager itself lives as long as the bundle
        FunctionCounter.builder("uplink.token.refreshes", tokens, TokenManager::refreshes)
                .description("Tokens fetched from the provider").register(registry);
    }

    /** One reading's fate: {@code published}, {@code dead_lettered} or {@code kept} (waits for the connection). */
    public void publish(String kind, String result) {
        // looked up once per kind and result: this runs for every publish
        publishes.computeIfAbsent(kind, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(result, r -> registry.counter("uplink.publishes", "kind", kind, "result", r))
                .increment();
    }

    /**
     * Leaves {@code routeId} out of Camel's route metrics ({@code camel_exchanges_*}, {@code camel_route_policy_*}):
     * for a route every publish takes, whose timing {@code uplink_puback_seconds} and counts
     * {@code uplink_publishes_total} already give, the route policy's bookkeeping costs more than the publish.
     */
    public static void leaveOutOfRouteMetrics(CamelContext context, String routeId) {
        for (RoutePolicyFactory factory : context.getRoutePolicyFactories()) {
            if (factory instanceof MicrometerRoutePolicyFactory micrometer) {
                MicrometerRoutePolicyConfiguration was = micrometer.getPolicyConfiguration();
                MicrometerRoutePolicyConfiguration now = new MicrometerRoutePolicyConfiguration();
                now.setContextEnabled(was.isContextEnabled());
                now.setRouteEnabled(was.isRouteEnabled());
                now.setAdditionalCounters(was.isAdditionalCounters());
                now.setExchangesSucceeded(was.isExchangesSucceeded());
                now.setExchangesFailed(was.isExchangesFailed());
                now.setExchangesTotal(was.isExchangesTotal());
                now.setExternalRedeliveries(was.isExternalRedeliveries());
                now.setFailuresHandled(was.isFailuresHandled());
                now.setLongTask(was.isLongTask());
                now.setTimerInitiator(was.getTimerInitiator());
                now.setLongTaskInitiator(was.getLongTaskInitiator());
                now.setExcludePattern(was.getExcludePattern() == null ? routeId
                        : was.getExcludePattern() + "," + routeId);
                micrometer.setPolicyConfiguration(now);
            }
        }
    }

    public void puback(Duration latency) {
        puback.record(latency);
    }

    /** {@code uplink_input_records_total{input, result}}, read from the input's counts (not a second count). */
    public void observeInput(InputCounters inputs, String input) {
        // Micrometer holds the measured object weakly: the counters live as long as the bundle
        FunctionCounter.builder("uplink.input.records", inputs, c -> c.accepted(input))
                .tags("input", input, "result", "accepted").description("Records an input accepted or refused")
                .register(registry);
        FunctionCounter.builder("uplink.input.records", inputs, c -> c.refused(input))
                .tags("input", input, "result", "refused").description("Records an input accepted or refused")
                .register(registry);
    }
}
