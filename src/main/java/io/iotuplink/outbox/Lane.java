package io.iotuplink.outbox;

import io.iotuplink.envelope.Reading;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which queue of the outbox a reading waits in. The {@code priority} lane (events: alerts, {@code state_changed},
 * connection events, command answers) is handed out before the {@code bulk} lane (telemetry), so live events never
 * wait behind a telemetry backlog; within a lane, oldest first. A route sets another lane with the header
 * {@link OutboxConstants#LANE}.
 */
public enum Lane {
    PRIORITY, BULK;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** The lower-case name used in the header, {@code /status} and the metrics. */
    public String label() {
        return label;
    }

    /** The number the outbox stores (its hand-out order). */
    int code() {
        return ordinal();
    }

    static Lane ofCode(int code) {
        return values()[code];
    }

    /** The lane of a reading no route placed: events go first, telemetry after them. */
    public static Lane of(Reading.Kind kind) {
        return kind == Reading.Kind.EVENT ? PRIORITY : BULK;
    }

    /**
     * The lane a route named in the {@link OutboxConstants#LANE} header ({@code priority} or {@code bulk}).
     *
     * @throws IllegalArgumentException naming the header and the lanes there are
     */
    public static Lane named(String name) {
        for (Lane lane : values()) {
            if (lane.label.equalsIgnoreCase(name.trim())) {
                return lane;
            }
        }
        throw new IllegalArgumentException("the header " + OutboxConstants.LANE + " is '" + name + "': the outbox's"
                + " lanes are " + Arrays.stream(values()).map(Lane::label).collect(Collectors.joining(" and ")));
    }
}
