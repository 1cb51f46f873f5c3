package io.iotuplink.deadletter;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the dead-letter directory keeps of one reading besides its envelope ({@code {message_id}.json}): the
 * {@code {message_id}.reason} file, {@code key: value} lines a person reads and {@code dead-letter replay} uses.
 *
 * @param acceptedAtMillis epoch milliseconds, -1 when the file does not say (an earlier version's dead letter)
 * @param lane             {@code priority} or {@code bulk}, null when the file does not say
 * @param batch            the message id of the batch it was refused in, or null
 */
public record DeadLetter(String messageId, String kind, String topic, long acceptedAtMillis, String lane,
        Instant failedAt, int attempts, String reasonCode, String error, String batch) {

    /** Whether it holds what a replay needs to put it back into the outbox as it was. */
    public boolean replayable() {
        return messageId != null && kind != null && topic != null && acceptedAtMillis >= 0 && lane != null;
    }

    /** The {@code .reason} file's text. */
    String text() {
        StringBuilder text = new StringBuilder();
        line(text, "message_id", messageId);
        line(text, "kind", kind);
        line(text, "topic", topic);
        line(text, "lane", lane);
        line(text, "accepted_at", acceptedAtMillis < 0 ? null : Instant.ofEpochMilli(acceptedAtMillis).toString());
        line(text, "failed_at", failedAt == null ? null : failedAt.toString());
        line(text, "attempts", String.valueOf(attempts));
        line(text, "reason_code", reasonCode);
        line(text, "batch", batch);
        line(text, "error", error);
        return text.toString();
    }

    private static void line(StringBuilder text, String key, String value) {
        if (value != null) {
            // one line per key, whatever the broker's reason string holds
            text.append(key).append(": ").append(value.replaceAll("[\\r\\n]+", " ")).append('\n');
        }
    }

    /** Reads a {@code .reason} file's text; a key it lacks stays null (or -1), as in an earlier version's files. */
    static DeadLetter parse(String fallbackId, String text) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(": ");
            if (colon > 0) {
                values.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 2).trim());
            }
        }
        return new DeadLetter(values.getOrDefault("message_id", fallbackId), values.get("kind"), values.get("topic"),
                instant(values.get("accepted_at")).map(Instant::toEpochMilli).orElse(-1L), values.get("lane"),
                instant(values.get("failed_at")).orElse(null), integer(values.get("attempts")),
                values.get("reason_code"), values.get("error"), values.get("batch"));
    }

    private static java.util.Optional<Instant> instant(String text) {
        try {
            return java.util.Optional.ofNullable(text).map(Instant::parse);
        } catch (java.time.format.DateTimeParseException e) {
            return java.util.Optional.empty();
        }
    }

    private static int integer(String text) {
        try {
            return text == null ? 0 : Integer.parseInt(text);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
