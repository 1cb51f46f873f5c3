package io.iotuplink.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the durations the configuration accepts: {@code 500ms}, {@code 25s}, {@code 1m}, {@code 2h}, or plain seconds. */
public final class Durations {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)?");

    private Durations() {
    }

    /** The duration, or an {@link IllegalArgumentException} saying what is accepted. */
    public static Duration parse(String text) {
        Matcher m = DURATION.matcher(text.trim().toLowerCase());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (write it as 500ms, 25s, 1m or 2h)");
        }
        double amount = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        double millis = switch (unit) {
            case "ms" -> amount;
            case "s" -> amount * 1_000;
            case "m" -> amount * 60_000;
            case "h" -> amount * 3_600_000;
            default -> amount * 86_400_000;
        };
        return Duration.ofMillis(Math.round(millis));
    }

    /** The short form a person reads in a log line: {@code 25s}, {@code 1m}, {@code 500ms}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1_000 == 0) {
            return ms / 1_000 + "s";
        }
        return ms + "ms";
    }
}
