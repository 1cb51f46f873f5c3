package io.iotuplink.local;

/** What the embedded broker reports: accepted connections and accepted publishes. */
public interface BrokerEvents {

    default void connected(ReceivedConnect connect) {
    }

    default void received(ReceivedPublish publish) {
    }
}
