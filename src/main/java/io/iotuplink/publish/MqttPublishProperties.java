package io.iotuplink.publish;

import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;

import java.util.ArrayList;
import java.util.List;

/** The MQTT 5 properties every publish carries: JSON content type, UTF-8 payload, the reading's message_id. */
public final class MqttPublishProperties {

    public static final String CONTENT_TYPE = "application/json";
    public static final String MESSAGE_ID = "message_id";

    private MqttPublishProperties() {
    }

    /** A new instance per message: Paho keeps a reference until the PUBACK, so none may be shared. */
    public static MqttProperties forReading(String messageId) {
        MqttProperties properties = new MqttProperties();
        properties.setContentType(CONTENT_TYPE);
        properties.setPayloadFormat(true);
        List<UserProperty> user = new ArrayList<>(1);
        user.add(new UserProperty(MESSAGE_ID, messageId));
        properties.setUserProperties(user);
        return properties;
    }
}
