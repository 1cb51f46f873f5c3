package io.iotuplink.config;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Optional;

/** Whether a server of the bundle's could listen on a configured address and port, tried before it starts. */
public final class PortBinding {

    private PortBinding() {
    }

    /**
     * Why binding {@code host:port} fails now ("Address already in use", "Cannot assign requested address",
     * "Permission denied"...), or empty when it binds, when the port is no positive number (the configuration's
     * checks name that), or when anything but the bind itself fails (left to the server).
     */
    public static Optional<BindException> refusal(String host, String port) {
        int number;
        try {
            number = Integer.parseInt(port.trim());
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        if (number <= 0) {
            return Optional.empty();
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(host, number));
            return Optional.empty();
        } catch (BindException e) {
            return Optional.of(e);
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
