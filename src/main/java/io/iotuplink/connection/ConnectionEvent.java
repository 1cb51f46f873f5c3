package io.iotuplink.connection;

import java.time.Instant;

/** One entry of the connection history: when, which state, what happened and, on failure, why. */
public record ConnectionEvent(Instant timestamp, ConnectionState state, String message, String error) {
}
