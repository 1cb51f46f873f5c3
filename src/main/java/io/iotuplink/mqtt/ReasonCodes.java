package io.iotuplink.mqtt;

import java.util.Map;

/** Names of the MQTT 5 reason codes a broker sends back, for messages a person can read. */
public final class ReasonCodes {

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(0x00, "success"),
            Map.entry(0x10, "no matching subscribers"),
            Map.entry(0x80, "unspecified error"),
            Map.entry(0x81, "malformed packet"),
            Map.entry(0x82, "protocol error"),
            Map.entry(0x83, "implementation specific error"),
            Map.entry(0x84, "unsupported protocol version"),
            Map.entry(0x85, "client identifier not valid"),
            Map.entry(0x86, "bad user name or password"),
            Map.entry(0x87, "not authorized"),
            Map.entry(0x88, "server unavailable"),
            Map.entry(0x89, "server busy"),
            Map.entry(0x8A, "banned"),
            Map.entry(0x8C, "bad authentication method"),
            Map.entry(0x8D, "keep alive timeout"),
            Map.entry(0x8E, "session taken over"),
            Map.entry(0x90, "topic name invalid"),
            Map.entry(0x91, "packet identifier in use"),
            Map.entry(0x93, "receive maximum exceeded"),
            Map.entry(0x95, "packet too large"),
            Map.entry(0x96, "message rate too high"),
            Map.entry(0x97, "quota exceeded"),
            Map.entry(0x99, "payload format invalid"),
            Map.entry(0x9F, "connection rate exceeded"));

    private ReasonCodes() {
    }

    /** Like {@code 0x87 not authorized}. */
    public static String describe(int code) {
        return String.format("0x%02X %s", code, NAMES.getOrDefault(code, "reason code"));
    }

    /** Whether a PUBACK with this code may succeed if the same message is sent again later. */
    public static boolean isRetryablePublishFailure(int code) {
        return switch (code) {
            case 0x87, 0x90, 0x95, 0x99 -> false;
            default -> true;
        };
    }
}
