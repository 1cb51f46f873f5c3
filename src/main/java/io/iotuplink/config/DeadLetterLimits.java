package io.iotuplink.config;

/** The dead-letter directory's caps: past either, its oldest letters are removed first. */
public record DeadLetterLimits(long maxReadings, long maxBytes) {
}
