package io.iotuplink.connection;

import java.util.Locale;

/** The seven connection states of seed 003; their lower-case names appear in the status JSON. */
public enum ConnectionState {
    DISCONNECTED, CONNECTING, CONNECTED, RECONNECTING, CONNECTION_FAILED, DISCONNECTING, CREDENTIAL_REFRESH_FAILED;

    /** The name in JSON and logs: {@code connected}, {@code connection_failed}, ... */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
