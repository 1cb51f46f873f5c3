package io.iotuplink.mqtt;

import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.MqttPublish;

/** The size on the wire of an MQTT 5 PUBLISH, what a broker's Maximum Packet Size (CONNACK) limits. */
public final class PublishPacket {

    /** A Topic Alias property: its identifier and a two-byte integer. */
    private static final int TOPIC_ALIAS_BYTES = 3;

    private PublishPacket() {
    }

    /**
     * The most bytes the whole PUBLISH packet Paho sends for {@code message} to {@code topic} can take (fixed header,
     * topic, packet identifier, properties, payload), encoded by Paho as it will be on the wire. When the broker
     * allows topic aliases (AWS IoT and HiveMQ do), Paho adds one to a publish that has none, and the first publish
     * to a topic on a connection carries both the alias and the topic name: this counts that case. Like Paho's own
     * publish, it marks the message's properties with the set a PUBLISH may carry.
     */
    public static int size(String topic, MqttMessage message) throws MqttException {
        MqttPublish packet = new MqttPublish(topic, message, message.getProperties());
        byte[] header = packet.getHeader();
        int lengthBytes = 1; // the remaining length after the first byte: 7 bits a byte, the 8th says more follow
        while ((header[lengthBytes] & 0x80) != 0) {
            lengthBytes++;
        }
        int remainingLength = header.length - 1 - lengthBytes + packet.getPayloadLength();
        if (packet.getProperties().getTopicAlias() == null) {
            remainingLength += TOPIC_ALIAS_BYTES;
        }
        return 1 + variableByteIntegerLength(remainingLength) + remainingLength;
    }

    /** The same for a QoS 1 publish of {@code payload} with {@code properties}. */
    public static int size(String topic, byte[] payload, MqttProperties properties) throws MqttException {
        return size(topic, new MqttMessage(payload, 1, false, properties));
    }

    private static int variableByteIntegerLength(int value) {
        return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
    }
}
