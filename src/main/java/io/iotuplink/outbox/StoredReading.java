package io.iotuplink.outbox;

/** A reading as the outbox keeps it until its PUBACK: the envelope exactly as it will be published. */
public record StoredReading(long seq, String messageId, String kind, String topic, long acceptedAtMillis,
        byte[] envelope) {
}
