package io.iotuplink.support;

import io.iotuplink.local.ReceivedConnect;
import io.iotuplink.local.ReceivedPublish;

/** What the test broker reports: accepted connections, accepted publishes, and the QoS 1 flow. */
interface BrokerEvents {

    default void connected(ReceivedConnect connect) {
    }

    default void received(ReceivedPublish publish) {
    }

    /** A QoS 1 PUBLISH with this packet identifier arrived from the client (accepted or not). */
    default void publishArrived(String clientId, int packetId) {
    }

    /** The broker sent the PUBACK for this packet identifier to the client. */
    default void pubackSent(String clientId, int packetId) {
    }

    /** The broker sent the client a QoS 1 PUBLISH (a message for one of its subscriptions). */
    default void publishSent(String clientId) {
    }

    /** The client sent its PUBACK for a QoS 1 PUBLISH the broker sent it. */
    default void pubackReceived(String clientId) {
    }
}
