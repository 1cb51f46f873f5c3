package io.iotuplink.mqtt;

/**
 * A batch written for a faster rate than the broker allows now (it slowed the publishes down after a 0x97), refused
 * before it is sent: it would hold the line for seconds ahead of live data. Not retried as it is: the outbox batches
 * its readings again at the size the rate allows now.
 */
public class BatchOverRateException extends RuntimeException {

    public BatchOverRateException(String topic, int packetSize, long bytesNow) {
        super("a batch of " + packetSize + " bytes to '" + topic + "' is over the " + bytesNow + " bytes one publish"
                + " may carry at the rate kept now (slowed down by the broker's 0x97): batched again, smaller");
    }
}
