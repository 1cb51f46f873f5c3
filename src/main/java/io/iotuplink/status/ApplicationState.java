package io.iotuplink.status;

import java.util.regex.Pattern;

/** The device's own application state (seed 003's {@code change_state}), e.g. {@code collecting_data}. */
public final class ApplicationState {

    /** Like an event name: 1 to 64 of letters, digits, {@code _ . -}. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private String current = "idle";

    /** Changes the state; returns the one it replaces. */
    public synchronized String change(String next) {
        if (next == null || !NAME.matcher(next).matches()) {
            throw new IllegalArgumentException("'" + next + "' is not a state: use 1 to 64 letters, digits, '_', '.'"
                    + " or '-'");
        }
        String previous = current;
        current = next;
        return previous;
    }

    public synchronized String current() {
        return current;
    }
}
