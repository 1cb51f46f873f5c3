package io.iotuplink.envelope;

/** A reading with its envelope already written and checked against the limits, ready to publish. */
public record PreparedReading(Reading reading, byte[] envelope, String topic) {
}
