package io.iotuplink.config;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An exponential back-off: {@code initialDelay * multiplier^(n-1)} capped at {@code maxDelay}, with up to
 * {@code jitter} of it added or taken at random so a fleet does not retry in step.
 */
public record Backoff(boolean enabled, int maxAttempts, Duration initialDelay, Duration maxDelay, double multiplier,
        double jitter) {

    /** The delay before attempt {@code attempt} (1 is the first retry), without jitter. */
    public Duration nominalDelay(int attempt) {
        double millis = initialDelay.toMillis() * Math.pow(multiplier, Math.max(0, attempt - 1));
        return Duration.ofMillis((long) Math.min(millis, maxDelay.toMillis()));
    }

    /** The delay before attempt {@code attempt}, jittered, never below {@code floor}. */
    public Duration delay(int attempt, Duration floor) {
        long nominal = nominalDelay(attempt).toMillis();
        long spread = (long) (nominal * jitter);
        long jittered = nominal + (spread == 0 ? 0 : ThreadLocalRandom.current().nextLong(-spread, spread + 1));
        return Duration.ofMillis(Math.max(floor.toMillis(), Math.min(jittered, maxDelay.toMillis())));
    }
}
