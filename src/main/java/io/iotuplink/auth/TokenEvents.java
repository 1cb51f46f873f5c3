package io.iotuplink.auth;

import io.iotuplink.TokenRefreshException;

import java.time.Duration;

/** What the token manager reports about its background refreshes; the connection's owner decides what it means. */
public interface TokenEvents {

    /** A background refresh failed; the manager tries again in {@code retryIn}. The current token stays in use. */
    void refreshFailed(TokenRefreshException failure, Duration retryIn);

    /** A refresh worked after one or more failed. */
    void refreshRecovered();
}
