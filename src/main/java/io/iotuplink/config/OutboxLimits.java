package io.iotuplink.config;

/** The outbox's bounds, and its policy ({@code reject} or {@code drop-oldest}) when they are reached. */
public record OutboxLimits(long maxReadings, long maxBytes, String whenFull) {
}
