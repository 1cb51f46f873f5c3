package io.iotuplink.status;

import java.util.function.Consumer;
import java.util.regex.Pattern;

/** The device's own application state (seed 003's {@code change_state}), e.g. {@code collecting_data}. */
public final class ApplicationState {

    /** Like an event name: 1 to 64 of letters, digits, {@code _ . -}. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private String current = "idle";

    /**
     * Changes the state once {@code accept} (handed the state it replaces) returns; if it throws, the state stays.
     * Returns the state it replaced.
     */
    public synchronized String change(String next, Consumer<String> accept) {
        if (next == null || !NAME.matcher(next).matches()) {
            throw new IllegalArgumentException("'" + next + "' is not a state: use 1 to 64 letters, digits, '_', '.'"
                    + " or '-'");
        }
        String previous = current;
        // under the lock: a concurrent change waits, so each event's "from" is the "to" of the one before
        accept.accept(previous);
        current = next;
        return previous;
    }

    public synchronized String current() {
        return current;
    }
}
