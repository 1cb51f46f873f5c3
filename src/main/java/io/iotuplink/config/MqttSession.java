package io.iotuplink.config;

import java.time.Duration;

/** The MQTT 5 session settings sent in CONNECT, and how long the client waits for the broker. */
public record MqttSession(Duration keepAlive, boolean cleanStart, Duration sessionExpiry, Duration connectTimeout,
        Duration publishTimeout) {
}
