package io.iotuplink.mqtt;

/**
 * The broker answered a QoS 1 publish with a PUBACK whose reason code is an error (0x80 or above), or, for a
 * {@link PacketTooLargeException}, would have: the client refused to send what the broker said it cannot take.
 */
public class PublishRefusedException extends RuntimeException {

    private final String topic;
    private final int reasonCode;

    public PublishRefusedException(String topic, int reasonCode, String reasonString) {
        super("the broker refused the publish to '" + topic + "': PUBACK " + ReasonCodes.describe(reasonCode)
                + (reasonString == null || reasonString.isBlank() ? "" : " (" + reasonString + ")")
                + hint(reasonCode));
        this.topic = topic;
        this.reasonCode = reasonCode;
    }

    /** A refusal known before sending, the broker's reason code with a message of its own. */
    protected PublishRefusedException(int reasonCode, String topic, String message) {
        super(message);
        this.topic = topic;
        this.reasonCode = reasonCode;
    }

    private static String hint(int code) {
        return code == 0x87 ? "; check that the AWS IoT policy attached to the certificate allows iot:Publish on it"
                : "";
    }

    public String topic() {
        return topic;
    }

    public int reasonCode() {
        return reasonCode;
    }

    /** Whether sending the same message again may succeed (quota exceeded may; not authorized will not). */
    public boolean retryable() {
        return ReasonCodes.isRetryablePublishFailure(reasonCode);
    }
}
