package io.iotuplink.local;

/** A CONNECT as the test broker accepted it: the session settings and the TLS details the client sent. */
public record ReceivedConnect(String clientId, int keepAliveSeconds, boolean cleanStart, long sessionExpirySeconds,
        String sniHostName, String tlsProtocol, String certificateSubject, String username) {
}
