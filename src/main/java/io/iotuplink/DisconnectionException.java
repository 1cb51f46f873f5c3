package io.iotuplink;

/** Disconnecting from the broker did not complete cleanly. */
public class DisconnectionException extends UplinkException {

    public DisconnectionException(String message) {
        super(message);
    }

    public DisconnectionException(String message, Throwable cause) {
        super(message, cause);
    }
}
