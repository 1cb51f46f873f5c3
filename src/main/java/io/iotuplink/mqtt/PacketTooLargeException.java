package io.iotuplink.mqtt;

/**
 * A publish over the Maximum Packet Size the broker announced in its CONNACK, refused before it is sent: the broker
 * would drop the connection (DISCONNECT 0x95 packet too large) at every attempt, so it is never retried.
 */
public class PacketTooLargeException extends PublishRefusedException {

    private static final int PACKET_TOO_LARGE = 0x95;

    private final int packetSize;
    private final int maximumPacketSize;

    public PacketTooLargeException(String topic, int packetSize, int maximumPacketSize) {
        super(PACKET_TOO_LARGE, topic, "not sent to '" + topic + "': a packet of " + packetSize
                + " bytes is over the broker's maximum packet size of " + maximumPacketSize + " bytes (CONNACK),"
                + " so the broker can never take it (" + ReasonCodes.describe(PACKET_TOO_LARGE) + ")");
        this.packetSize = packetSize;
        this.maximumPacketSize = maximumPacketSize;
    }

    public int packetSize() {
        return packetSize;
    }

    public int maximumPacketSize() {
        return maximumPacketSize;
    }
}
