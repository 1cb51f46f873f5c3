package io.iotuplink.publish;

import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PublishingTest {

    private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle();
    static TestBroker broker;
    static RunningBundle bundle;

    @BeforeAll
    static void fixtures() {
        broker = uplink.broker();
        bundle = uplink.bundle();
    }

    @Test
    void telemetryArrivesInTheSeedEnvelope() {
        long before = System.currentTimeMillis();
        bundle.producer().sendBody("direct:telemetry", "{\"temperature\": 25.5, \"humidity\": 60.0, \"seq\": 1}");
        long after = System.currentTimeMillis();

        ReceivedPublish publish = broker.await(p -> p.payloadText().contains("\"seq\":1"), 1,
                java.time.Duration.ofSeconds(20)).get(0);

        assertEquals("bombercat/telemetry", publish.topic());
        String json = publish.payloadText();
        assertTrue(json.matches("\\{\"timestamp\":\\d{10}\\.\\d{3},\"device_id\":\"bombercat-001\","
                + "\"data\":\\{\"temperature\":25\\.5,\"humidity\":60\\.0,\"seq\":1}}"), json);
        long stamped = Math.round(RunningBundle.json(json).get("timestamp").asDouble() * 1000);
        assertTrue(stamped >= before && stamped <= after, "timestamp is the accepted time: " + json);
    }

    @Test
    void eventArrivesWithItsNameAndMetadata() {
        bundle.producer().sendBodyAndHeader("direct:event", Map.of("severity", "warning"),
                PublishRoutes.EVENT_NAME, "temperature_alert");

        ReceivedPublish publish = broker.awaitOne("bombercat/events");

        assertTrue(publish.payloadText().matches("\\{\"timestamp\":\\d{10}\\.\\d{3},\"device_id\":\"bombercat-001\","
                + "\"event\":\"temperature_alert\",\"metadata\":\\{\"severity\":\"warning\"}}"), publish.payloadText());
    }

    @Test
    void everyPublishIsQos1NotRetainedWithJsonPropertiesAndAMessageId() {
        bundle.producer().sendBody("direct:telemetry", "{\"seq\": 2}");

        ReceivedPublish publish = broker.await(p -> p.payloadText().contains("\"seq\":2"), 1,
                java.time.Duration.ofSeconds(20)).get(0);

        assertEquals(1, publish.qos());
        assertFalse(publish.retain());
        assertEquals("application/json", publish.contentType());
        assertEquals(Boolean.TRUE, publish.payloadUtf8());
        assertTrue(publish.userProperties().get("message_id").matches(UUID), publish.userProperties().toString());
    }

    @Test
    void eachReadingGetsItsOwnMessageId() {
        bundle.producer().sendBody("direct:telemetry", "{\"seq\": 3}");
        bundle.producer().sendBody("direct:telemetry", "{\"seq\": 4}");

        String first = broker.await(p -> p.payloadText().contains("\"seq\":3"), 1, java.time.Duration.ofSeconds(20))
                .get(0).userProperties().get("message_id");
        String second = broker.await(p -> p.payloadText().contains("\"seq\":4"), 1, java.time.Duration.ofSeconds(20))
                .get(0).userProperties().get("message_id");

        assertNotEquals(first, second);
    }

    @Test
    void anEventRecordOnDirectEventNeedsNoHeader() {
        bundle.producer().sendBody("direct:event", "{\"event\": \"door_open\", \"metadata\": {\"door\": \"A\"}}");

        ReceivedPublish publish = broker.await(p -> p.payloadText().contains("door_open"), 1,
                java.time.Duration.ofSeconds(20)).get(0);

        assertEquals("bombercat/events", publish.topic());
        assertTrue(publish.payloadText().endsWith("\"event\":\"door_open\",\"metadata\":{\"door\":\"A\"}}"));
    }
}
