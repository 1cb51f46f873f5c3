package io.iotuplink.auth;

import java.time.Instant;

/** A token as a provider hands it out (seed 003's shape); {@link #toString()} never shows the secret. */
public record Token(String accessToken, String username, Instant expiresAt) {

    @Override
    public String toString() {
        return "Token[username=" + username + ", expiresAt=" + expiresAt + "]";
    }
}
