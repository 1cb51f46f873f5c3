package io.iotuplink.config;

import java.time.Duration;

/**
 * The HTTP API's bounds: the largest request body, how long a connection may stay silent, how long a request
 * body may take to arrive.
 */
public record HttpLimits(long maxBodySize, Duration idleTimeout, Duration requestTimeout) {
}
