package io.iotuplink.envelope;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One accepted device reading: telemetry {@code data} or an event with its {@code metadata}, stamped with the
 * time it was accepted and the {@code message_id} that travels with it on every retry.
 */
public record Reading(Kind kind, String messageId, long acceptedAtMillis, String event, ObjectNode body) {

    /** Whether the reading goes out as telemetry or as an event. */
    public enum Kind {
        TELEMETRY, EVENT;

        private final String label = name().toLowerCase(java.util.Locale.ROOT);

        /** The lower-case name used in logs, metrics and file names. */
        public String label() {
            return label;
        }
    }

    public boolean isEvent() {
        return kind == Kind.EVENT;
    }
}
