package io.iotuplink.local;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A PUBLISH as the test broker received it: what a user would check on the wire. */
public record ReceivedPublish(String clientId, String topic, int qos, boolean retain, byte[] payload,
        String contentType, Boolean payloadUtf8, Map<String, String> userProperties, long receivedAtNanos) {

    public String payloadText() {
        return new String(payload, StandardCharsets.UTF_8);
    }
}
