package io.iotuplink.outbox;

/**
 * A reading as the outbox keeps it until its PUBACK: the envelope exactly as it will be published, the lane it waits
 * in, and when it expires (epoch milliseconds; 0: never).
 */
public record StoredReading(long seq, String messageId, String kind, String topic, long acceptedAtMillis,
        byte[] envelope, Lane lane, long expiresAtMillis) {

    /** A reading in its kind's lane that never expires. */
    public StoredReading(long seq, String messageId, String kind, String topic, long acceptedAtMillis,
            byte[] envelope) {
        this(seq, messageId, kind, topic, acceptedAtMillis, envelope, "event".equals(kind) ? Lane.PRIORITY : Lane.BULK,
                0);
    }

    /** Whether it is no longer worth sending at {@code nowMillis}. */
    public boolean expiredAt(long nowMillis) {
        return expiresAtMillis > 0 && expiresAtMillis <= nowMillis;
    }
}
