package io.iotuplink.outbox;

import java.util.Locale;

/** What the outbox does with a new reading when it is full. */
public enum WhenFull {
    /** Refuse it: HTTP answers 503, a file stays in the inbox, and the input retries later. */
    REJECT,
    /** Make room by dropping the oldest readings, counted and logged. */
    DROP_OLDEST;

    /** From {@code reject} or {@code drop-oldest}. */
    public static WhenFull parse(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "reject" -> REJECT;
            case "drop-oldest", "drop_oldest" -> DROP_OLDEST;
            default -> throw new IllegalArgumentException("'" + text + "' is not a policy (write reject or drop-oldest)");
        };
    }
}
