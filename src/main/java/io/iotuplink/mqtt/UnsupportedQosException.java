package io.iotuplink.mqtt;

/** A publish asked for a QoS other than 1, which the bundle's client never publishes at. */
public class UnsupportedQosException extends IllegalArgumentException {

    public UnsupportedQosException(String message) {
        super(message);
    }
}
