package io.iotuplink.local;

import java.nio.file.Path;

/**
 * How to run an embedded broker: where it keeps its files, the port it listens on ({@code 127.0.0.1}, TLS only), the
 * TLS stores it serves with, the receive maximum its CONNACK grants, whether the TLS handshake already demands a
 * client certificate (else its policy decides), and the maximum packet size its CONNACK announces (0: the broker's
 * default, not announced).
 */
public record BrokerSettings(Path workDir, int port, Path keyStore, Path trustStore, String storePassword,
        int receiveMaximum, boolean certificateRequired, int maxPacketSize) {

    public BrokerSettings(Path workDir, int port, Path keyStore, Path trustStore, String storePassword,
            int receiveMaximum, boolean certificateRequired) {
        this(workDir, port, keyStore, trustStore, storePassword, receiveMaximum, certificateRequired, 0);
    }
}
