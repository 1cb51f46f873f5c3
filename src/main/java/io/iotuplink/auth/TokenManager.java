package io.iotuplink.auth;

import io.iotuplink.TokenRefreshException;
import io.iotuplink.config.Backoff;
import io.iotuplink.config.Durations;
import io.iotuplink.connection.ConnectionMonitor;
import io.iotuplink.connection.ConnectionState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * Keeps a fresh token for the custom authorizer: fetches one before the first connect, refreshes it in the
 * background {@code uplink.token.refresh-threshold} before it expires (the connection stays up: AWS checks the
 * token at CONNECT only), and once more after the broker refuses the credentials. A failing provider puts the
 * state to {@code credential_refresh_failed} and is retried with the back-off policy.
 */
public final class TokenManager {

    private static final Logger LOG = LoggerFactory.getLogger(TokenManager.class);

    private final TokenProvider provider;
    private final CustomAuthorizerLogin login;
    private final Duration threshold;
    private final Backoff retry;
    private final ConnectionMonitor monitor;
    private final Clock clock;
    private final BiConsumer<String, byte[]> credentials;
    private final AtomicLong refreshes = new AtomicLong();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "uplink-token");
        t.setDaemon(true);
        return t;
    });
    private volatile Token token;
    private int failures;
    private java.util.concurrent.ScheduledFuture<?> next;

    /**
     * @param credentials receives the MQTT user name and password to use from the next CONNECT on
     */
    public TokenManager(TokenProvider provider, CustomAuthorizerLogin login, Duration threshold, Backoff retry,
            ConnectionMonitor monitor, Clock clock, BiConsumer<String, byte[]> credentials) {
        this.provider = provider;
        this.login = login;
        this.threshold = threshold;
        this.retry = retry;
        this.monitor = monitor;
        this.clock = clock;
        this.credentials = credentials;
    }

    /** Before a CONNECT: makes sure a token that has not expired is in place, fetching one if needed. */
    public synchronized void ensureFresh() {
        Token current = token;
        if (current == null || !clock.instant().isBefore(current.expiresAt())) {
            refresh();
        }
    }

    /** After the broker refused the credentials: the next CONNECT fetches a new token first. */
    public synchronized void invalidate() {
        token = null;
    }

    public long refreshes() {
        return refreshes.get();
    }

    /** Fetches a token now and schedules the next refresh; a failure is thrown after it is recorded. */
    public synchronized void refresh() {
        Token fresh;
        try {
            fresh = provider.fresh();
        } catch (TokenRefreshException e) {
            failures++;
            Duration delay = retry.delay(failures, Duration.ofSeconds(1));
            monitor.transition(ConnectionState.CREDENTIAL_REFRESH_FAILED, "token refresh failed; trying again in "
                    + Durations.format(delay), e.getMessage());
            schedule(delay);
            throw e;
        }
        boolean recovered = failures > 0;
        failures = 0;
        token = fresh;
        refreshes.incrementAndGet();
        credentials.accept(login.mqttUsername(fresh), fresh.accessToken().getBytes(StandardCharsets.UTF_8));
        LOG.info("Token refreshed from {}; it expires at {}", provider.describe(), fresh.expiresAt());
        if (recovered) {
            ConnectionState state = monitor.isConnected() ? ConnectionState.CONNECTED : ConnectionState.RECONNECTING;
            monitor.transition(state, "token refresh works again", null);
        }
        Instant refreshAt = fresh.expiresAt().minus(threshold);
        Duration until = Duration.between(clock.instant(), refreshAt);
        if (until.isNegative() || until.isZero()) {
            // a token shorter-lived than the threshold: refresh at half its life
            until = Duration.between(clock.instant(), fresh.expiresAt()).dividedBy(2);
        }
        schedule(until);
    }

    private void schedule(Duration delay) {
        if (scheduler.isShutdown()) {
            return;
        }
        if (next != null) {
            next.cancel(false);
        }
        next = scheduler.schedule(() -> {
            try {
                refresh();
            } catch (TokenRefreshException e) {
                // recorded in refresh(), retried from there
            }
        }, Math.max(delay.toMillis(), 100), TimeUnit.MILLISECONDS);
    }

    /** Stops refreshing. */
    public void stop() {
        scheduler.shutdownNow();
    }
}
