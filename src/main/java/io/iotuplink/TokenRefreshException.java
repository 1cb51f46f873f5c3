package io.iotuplink;

/** A token provider failed to hand out a fresh token. */
public class TokenRefreshException extends UplinkException {

    public TokenRefreshException(String message) {
        super(message);
    }

    public TokenRefreshException(String message, Throwable cause) {
        super(message, cause);
    }
}
