package io.iotuplink.auth;

import io.iotuplink.TokenRefreshException;
import io.iotuplink.config.Backoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.function.LongSupplier;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * Keeps a fresh token for the custom authorizer: fetches one before a CONNECT when there is none or it has expired,
 * refreshes it in the background {@code uplink.token.refresh-threshold} before it expires, and once more after the
 * broker refuses the credentials. A failing background refresh is retried with the back-off policy and reported to
 * {@link TokenEvents}; the connection state is not this class's to write.
 */
public final class TokenManager {

    private static final Logger LOG = LoggerFactory.getLogger(TokenManager.class);
    /** Never ask a failing provider more than once a second. */
    static final Duration MIN_RETRY = Duration.ofSeconds(1);

    private final TokenProvider provider;
    private final CustomAuthorizerLogin login;
    private final Duration threshold;
    private final Backoff retry;
    /** The wall clock: a token's stated expiry is a date. */
    private final Clock clock;
    /** Monotonic time: how long a token has left is counted on it, whatever the wall clock does meanwhile. */
    private final LongSupplier nanos;
    private final ScheduledExecutorService scheduler;
    private final BiConsumer<String, byte[]> credentials;
    private final TokenEvents events;
    private final AtomicLong refreshes = new AtomicLong();
    private volatile Token token;
    /** When {@link #token} expires, in {@link #nanos} time. */
    private long expiresAtNanos;
    private int failures;
    private ScheduledFuture<?> next;
    private boolean stopped;

    /**
     * @param clock       the wall clock a token's expiry is stated in
     * @param nanos       monotonic time, on which a token's remaining life is counted
     * @param scheduler   runs the background refreshes (on monotonic time); its owner shuts it down
     * @param credentials receives the MQTT user name and password to use from the next CONNECT on
     * @param events      told about background refreshes that fail and the first one that works again
     */
    public TokenManager(TokenProvider provider, CustomAuthorizerLogin login, Duration threshold, Backoff retry,
            Clock clock, LongSupplier nanos, ScheduledExecutorService scheduler,
            BiConsumer<String, byte[]> credentials, TokenEvents events) {
        this.provider = provider;
        this.login = login;
        this.threshold = threshold;
        this.retry = retry;
        this.clock = clock;
        this.nanos = nanos;
        this.scheduler = scheduler;
        this.credentials = credentials;
        this.events = events;
    }

    /**
     * Before a CONNECT: makes sure a token that has not expired is in place, fetching one if needed. A provider
     * failure is thrown to the caller, which retries the CONNECT; a token still valid is used even while
     * background refreshes fail.
     */
    public synchronized void ensureFresh() {
        Token current = token;
        if (current == null || nanos.getAsLong() - expiresAtNanos >= 0) {
            use(provider.fresh());
        }
    }

    /** After the broker refused the credentials: the next CONNECT fetches a new token first. */
    public synchronized void invalidate() {
        token = null;
    }

    public long refreshes() {
        return refreshes.get();
    }

    /** Stops the background refreshes. */
    public synchronized void stop() {
        stopped = true;
        if (next != null) {
            next.cancel(false);
        }
    }

    private synchronized void refreshInBackground() {
        if (stopped) {
            return;
        }
        Token fresh;
        try {
            fresh = provider.fresh();
        } catch (RuntimeException e) {
            TokenRefreshException failure = e instanceof TokenRefreshException refresh ? refresh
                    : new TokenRefreshException(provider.describe() + ": " + e, e);
            failures++;
            // the delay stops growing at the policy's last step: a provider may come back after any time
            Duration retryIn = retry.delay(Math.min(failures, retry.maxAttempts()), MIN_RETRY);
            schedule(retryIn);
            events.refreshFailed(failure, retryIn);
            return;
        }
        use(fresh);
    }

    private void use(Token fresh) {
        boolean recovered = failures > 0;
        failures = 0;
        token = fresh;
        // the life the provider gave is measured once, against the wall clock of the moment; from then on it runs
        // on monotonic time, so a step of the wall clock neither expires the token nor lengthens its life
        Duration life = Duration.between(clock.instant(), fresh.expiresAt());
        expiresAtNanos = nanos.getAsLong() + life.toNanos();
        refreshes.incrementAndGet();
        credentials.accept(login.mqttUsername(fresh), fresh.accessToken().getBytes(StandardCharsets.UTF_8));
        LOG.info("Token refreshed from {}; it expires at {}", provider.describe(), fresh.expiresAt());
        Duration until = life.minus(threshold);
        if (until.isNegative() || until.isZero()) {
            // a token shorter-lived than the threshold: refresh at half its life
            until = life.dividedBy(2);
        }
        schedule(until);
        if (recovered) {
            events.refreshRecovered();
        }
    }

    private void schedule(Duration delay) {
        if (stopped) {
            return;
        }
        if (next != null) {
            next.cancel(false);
        }
        try {
            next = scheduler.schedule(this::refreshInBackground, Math.max(delay.toMillis(), 100),
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debug("No background token refresh: the scheduler has stopped");
        }
    }
}
