package io.iotuplink.mqtt;

import org.eclipse.paho.mqttv5.common.MqttException;

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
            Map.entry(0x8B, "server shutting down"),
            Map.entry(0x8C, "bad authentication method"),
            Map.entry(0x8D, "keep alive timeout"),
            Map.entry(0x8E, "session taken over"),
            Map.entry(0x8F, "topic filter invalid"),
            Map.entry(0x90, "topic name invalid"),
            Map.entry(0x91, "packet identifier in use"),
            Map.entry(0x92, "packet identifier not found"),
            Map.entry(0x93, "receive maximum exceeded"),
            Map.entry(0x94, "topic alias invalid"),
            Map.entry(0x95, "packet too large"),
            Map.entry(0x96, "message rate too high"),
            Map.entry(0x97, "quota exceeded"),
            Map.entry(0x98, "administrative action"),
            Map.entry(0x99, "payload format invalid"),
            Map.entry(0x9A, "retain not supported"),
            Map.entry(0x9B, "QoS not supported"),
            Map.entry(0x9C, "use another server"),
            Map.entry(0x9D, "server moved"),
            Map.entry(0x9F, "connection rate exceeded"),
            Map.entry(0xA0, "maximum connect time"));

    private ReasonCodes() {
    }

    /** Like {@code 0x87 not authorized}. */
    public static String describe(int code) {
        return String.format("0x%02X %s", code, NAMES.getOrDefault(code, "reason code"));
    }

    /**
     * What went wrong, for a log line or the status history: for an {@link MqttException} (the first in the causes)
     * its reason code and Paho's text, and the cause it wraps, like {@code Paho 32109 Connection lost (EOFException)}
     * or {@code Paho 0 client error (IllegalStateException: Queue full)}, never Paho's bare
     * "Untranslated MqttException - RC: 0"; for anything else its message.
     */
    public static String describe(Throwable failure) {
        if (failure == null) {
            return "unknown";
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof MqttException mqtt) {
                return describeMqtt(mqtt);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return failure.getMessage() != null ? failure.getMessage() : failure.getClass().getSimpleName();
    }

    private static String describeMqtt(MqttException e) {
        return e instanceof DescribedMqttException ? e.getMessage()
                : describe(e.getReasonCode(), e.getMessage(), e.getCause());
    }

    /** An MQTT failure's description from its reason code, Paho's text for it and the cause it wraps. */
    static String describe(int code, String pahoText, Throwable cause) {
        String text;
        if (code >= 0x80 && code <= 0xFF) {
            text = describe(code);
        } else {
            // Paho's catalogue has no text for 0 (a client-side exception wrapping its cause) and some others
            text = "Paho " + code + (pahoText == null || pahoText.startsWith("Untranslated")
                    ? code == MqttException.REASON_CODE_CLIENT_EXCEPTION ? " client error" : ""
                    : " " + (pahoText.endsWith(".") ? pahoText.substring(0, pahoText.length() - 1) : pahoText));
        }
        if (cause == null) {
            return text;
        }
        String causeText = cause instanceof MqttException mqtt ? describeMqtt(mqtt)
                : cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        return text + " (" + causeText + ")";
    }

    /** Whether a PUBACK with this code may succeed if the same message is sent again later. */
    public static boolean isRetryablePublishFailure(int code) {
        return switch (code) {
            case 0x87, 0x90, 0x95, 0x99 -> false;
            default -> true;
        };
    }
}
