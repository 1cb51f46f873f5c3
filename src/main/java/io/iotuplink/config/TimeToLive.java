package io.iotuplink.config;

import io.iotuplink.envelope.Reading;

import java.time.Duration;

/**
 * How long an accepted reading may wait in the outbox before it is no longer worth sending ({@code uplink.outbox.ttl.*};
 * zero: for ever). A {@code keepalive} event says the device is alive <em>now</em>: by default it expires after two
 * keepalive intervals, so a backlog never replays hours of them.
 */
public record TimeToLive(Duration telemetry, Duration event, Duration keepalive) {

    /** Nothing expires. */
    public static final TimeToLive NEVER = new TimeToLive(Duration.ZERO, Duration.ZERO, Duration.ZERO);

    /** The name of the seed's keepalive event. */
    public static final String KEEPALIVE = "keepalive";

    /** How long {@code reading} may wait; {@link Duration#ZERO} for ever. */
    public Duration of(Reading reading) {
        if (!reading.isEvent()) {
            return telemetry;
        }
        return KEEPALIVE.equals(reading.event()) ? keepalive : event;
    }

    /** When {@code reading} expires, in epoch milliseconds; 0 when never. */
    public long expiresAtMillis(Reading reading) {
        Duration ttl = of(reading);
        return ttl.isZero() ? 0 : reading.acceptedAtMillis() + ttl.toMillis();
    }
}
