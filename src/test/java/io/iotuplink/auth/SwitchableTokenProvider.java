package io.iotuplink.auth;

import io.iotuplink.TokenRefreshException;

import java.time.Clock;

/** A token provider that works or fails as the test says, handing out {@code secret-1}, {@code secret-2}, ... */
public final class SwitchableTokenProvider extends TokenProvider {

    /** What a failing provider throws. */
    public static final String FAILURE = "UPLINK_TOKEN_COMMAND: the command exited with 3";

    private final long expiresInSeconds;
    private boolean works = true;
    private int handedOut;
    private int asked;

    public SwitchableTokenProvider(Clock clock, long expiresInSeconds) {
        super(clock);
        this.expiresInSeconds = expiresInSeconds;
    }

    public void works(boolean works) {
        this.works = works;
    }

    /** How many times a token was asked for, successfully or not. */
    public int asked() {
        return asked;
    }

    @Override
    public String describe() {
        return "UPLINK_TOKEN_COMMAND";
    }

    @Override
    protected String fetch() {
        asked++;
        if (!works) {
            throw new TokenRefreshException(FAILURE);
        }
        handedOut++;
        return "{\"access_token\": \"secret-" + handedOut + "\", \"expires_in\": " + expiresInSeconds + "}";
    }
}
