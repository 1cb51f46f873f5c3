package io.iotuplink.outbox;

import org.apache.camel.spi.Metadata;

/**
 * The headers the {@code outbox:} consumer sets on each exchange, beside camel-paho-mqtt5's topic and properties, and
 * the one its producer reads.
 */
public final class OutboxConstants {

    @Metadata(label = "consumer", description = "The message_id of the reading (or of the batch) published",
            javaType = "String")
    public static final String MESSAGE_ID = "UplinkMessageId";
    @Metadata(label = "consumer", description = "telemetry, event or batch", javaType = "String")
    public static final String READING_KIND = "UplinkReadingKind";
    @Metadata(label = "consumer", description = "How many readings the exchange carries (1 unless batched)",
            javaType = "int")
    public static final String READINGS = "UplinkReadings";
    @Metadata(label = "common", description = "The lane a reading waits in: priority (handed out first) or bulk."
            + " Set it before the outbox to choose (unset: events go to priority, telemetry to bulk); the consumer"
            + " sets the lane it handed the exchange out from", javaType = "String")
    public static final String LANE = "UplinkLane";

    private OutboxConstants() {
    }

    /** Exchange property the dead-letter route sets once it kept the exchange's readings as a dead letter. */
    public static final String DEAD_LETTERED = "uplinkDeadLettered";
}
