package io.iotuplink.mqtt;

import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.MqttPublish;

/** The size on the wire of an MQTT 5 PUBLISH, what a broker's Maximum Packet Size (CONNACK) limits. */
public final class PublishPacket {

    private PublishPacket() {
    }

    /**
     * The bytes of the whole PUBLISH packet Paho sends for {@code message} to {@code topic} (fixed header, topic,
     * packet identifier, properties, payload), encoded by Paho as it will be on the wire. Like Paho's own publish,
     * it marks the message's properties with the set a PUBLISH may carry.
     */
    public static int size(String topic, MqttMessage message) throws MqttException {
        MqttPublish packet = new MqttPublish(topic, message, message.getProperties());
        return packet.getHeader().length + packet.getPayloadLength();
    }

    /** The same for a QoS 1 publish of {@code payload} with {@code properties}. */
    public static int size(String topic, byte[] payload, MqttProperties properties) throws MqttException {
        return size(topic, new MqttMessage(payload, 1, false, properties));
    }
}
