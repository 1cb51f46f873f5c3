package io.iotuplink;

/** Base of the errors iot-uplink reports; each message says what is wrong and what to do. */
public class UplinkException extends RuntimeException {

    public UplinkException(String message) {
        super(message);
    }

    public UplinkException(String message, Throwable cause) {
        super(message, cause);
    }
}
