package io.iotuplink.config;

/**
 * How many commands run at a time ({@code uplink.commands.concurrency}) and how many may wait to run
 * ({@code uplink.commands.queue-size}); as many more may wait for a {@code busy} answer, the rest are dropped.
 */
public record CommandLimits(int concurrency, int queueSize) {
}
