package io.iotuplink.outbox;

/**
 * Whether a stored string can be written into a PUBLISH packet: MQTT strings are well-formed UTF-8 without U+0000
 * (a row salvaged from a damaged outbox may hold anything).
 */
final class MqttStrings {

    private MqttStrings() {
    }

    /** What is wrong with {@code value} as the MQTT string {@code name}, or null when nothing is. */
    static String problem(String name, String value) {
        if (value == null || value.isEmpty()) {
            return "its " + name + " is empty";
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == 0 || c == '\uFFFD') {
                return "its " + name + " is not valid UTF-8 (" + (c == 0 ? "U+0000" : "an undecodable byte")
                        + " at " + i + ")";
            }
            if (Character.isHighSurrogate(c) && (i + 1 == value.length()
                    || !Character.isLowSurrogate(value.charAt(i + 1)))
                    || Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(value.charAt(i - 1)))) {
                return "its " + name + " is not valid UTF-8 (a lone surrogate at " + i + ")";
            }
        }
        return null;
    }
}
