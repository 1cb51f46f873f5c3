package io.iotuplink.mqtt;

import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The size of a PUBLISH is counted as the MQTT 5 specification counts it, the way a broker's limit applies. */
class PublishPacketTest {

    private static final String MESSAGE_ID = "0b9f6f4e-3a52-4a43-9d7e-5c1f2a7c9e10";

    @Test
    void aReadingsPublishCountsEveryByteOfThePacket() throws Exception {
        MqttMessage message = new MqttMessage(new byte[100]);
        message.setQos(1);
        message.setProperties(MqttPublishProperties.forReading(MESSAGE_ID));

        // properties: content type 1+2+16, payload format 1+1, user property 1+(2+10)+(2+36), the topic alias Paho
        // adds 1+2 = 75, their length 1 byte; topic 2+19, packet id 2: variable header 99; remaining length 199
        // takes 2 bytes; fixed header 1
        assertEquals(1 + 2 + 99 + 100, PublishPacket.size("bombercat/telemetry", message));
    }

    @Test
    void aPublishThatHasATopicAliasAlreadyIsCountedWithIt() throws Exception {
        MqttMessage message = new MqttMessage(new byte[10]);
        message.setQos(1);
        message.setProperties(new MqttProperties());
        message.getProperties().setTopicAlias(1);

        assertEquals(1 + 1 + 9 + 10, PublishPacket.size("t", message));
    }

    @Test
    void theRemainingLengthGrowsWithThePayload() throws Exception {
        MqttMessage small = new MqttMessage(new byte[10]);
        small.setQos(1);
        MqttMessage large = new MqttMessage(new byte[20_000]);
        large.setQos(1);

        // no properties but the topic alias: variable header 2+1 topic, 2 packet id, 1 properties length, 3 = 9
        assertEquals(1 + 1 + 9 + 10, PublishPacket.size("t", small));
        assertEquals(1 + 3 + 9 + 20_000, PublishPacket.size("t", large));
        MqttMessage edge = new MqttMessage(new byte[127 - 9]);
        edge.setQos(1);
        assertEquals(1 + 1 + 127, PublishPacket.size("t", edge));
        edge.setPayload(new byte[128 - 9]);
        assertEquals(1 + 2 + 128, PublishPacket.size("t", edge), "the alias takes the remaining length over 127");
    }
}
