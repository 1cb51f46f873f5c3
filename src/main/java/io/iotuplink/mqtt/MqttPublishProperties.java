package io.iotuplink.mqtt;

import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;

import java.util.ArrayList;
import java.util.List;

/** The MQTT 5 properties every publish carries: JSON content type, UTF-8 payload, the reading's message_id. */
public final class MqttPublishProperties {

    public static final String CONTENT_TYPE = "application/json";
    public static final String MESSAGE_ID = "message_id";
    public static final String CONTENT_ENCODING = "content_encoding";

    private MqttPublishProperties() {
    }

    /** A new instance per message: Paho keeps a reference until the PUBACK, so none may be shared. */
    public static MqttProperties forReading(String messageId) {
        return forReading(messageId, false);
    }

    /**
     * The same; a gzip payload is not UTF-8 text, so it drops the payload format indicator and says
     * {@code content_encoding: gzip} instead.
     */
    public static MqttProperties forReading(String messageId, boolean gzip) {
        MqttProperties properties = new MqttProperties();
        properties.setContentType(CONTENT_TYPE);
        List<UserProperty> user = new ArrayList<>(2);
        user.add(new UserProperty(MESSAGE_ID, messageId));
        if (gzip) {
            user.add(new UserProperty(CONTENT_ENCODING, "gzip"));
        } else {
            properties.setPayloadFormat(true);
        }
        properties.setUserProperties(user);
        return properties;
    }

    /** The properties of a batch publish: a reading's, with its {@code batch_size}. */
    public static MqttProperties forBatch(String messageId, int batchSize, boolean gzip) {
        MqttProperties properties = forReading(messageId, gzip);
        properties.getUserProperties().add(new UserProperty("batch_size", String.valueOf(batchSize)));
        return properties;
    }

    /** The payload, gzip-compressed. */
    public static byte[] gzip(byte[] payload) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(payload.length / 2 + 32);
        try (java.util.zip.GZIPOutputStream zip = new java.util.zip.GZIPOutputStream(out)) {
            zip.write(payload);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
