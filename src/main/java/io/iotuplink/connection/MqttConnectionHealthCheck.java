package io.iotuplink.connection;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import java.util.Map;

/** Readiness: UP only while the MQTT connection is up, else DOWN saying why (liveness ignores the broker). */
public final class MqttConnectionHealthCheck extends AbstractHealthCheck {

    private final ConnectionMonitor connection;

    public MqttConnectionHealthCheck(ConnectionMonitor connection) {
        super("uplink", "mqtt-connection");
        this.connection = connection;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("connection_status", connection.state().jsonName());
        builder.detail("reconnect_enabled", connection.reconnectEnabled());
        if (connection.isConnected()) {
            builder.up();
        } else {
            String reason = connection.reason();
            builder.message("MQTT connection is " + connection.state().jsonName()
                    + (reason == null ? "" : ": " + reason)).down();
        }
    }
}
