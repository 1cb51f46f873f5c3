package io.iotuplink.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The HTTP API's bearer token, kept only as its SHA-256 digest: a guess is compared digest to digest in constant
 * time, so neither the token's content nor its length shows in how long a refusal takes.
 */
public final class ApiToken {

    private final byte[] digest;

    private ApiToken(byte[] digest) {
        this.digest = digest;
    }

    public static ApiToken of(String token) {
        return new ApiToken(sha256(token));
    }

    /** Whether {@code presented} is the token; takes the same time whatever it is. */
    public boolean matches(String presented) {
        return MessageDigest.isEqual(digest, sha256(presented));
    }

    @Override
    public String toString() {
        return "ApiToken[masked]";
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
