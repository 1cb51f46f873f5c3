package io.iotuplink.outbox;

/**
 * What the drain publishes (and hands to {@code direct:mqtt-publish} when the first attempt failed): one reading or
 * a batch of them, its payload exactly as it goes on the wire (compressed when configured).
 *
 * @param batchSize readings in a batch envelope, 0 for a single reading's envelope
 */
public record OutgoingPublish(String messageId, String kind, String topic, byte[] payload, int batchSize) {
}
