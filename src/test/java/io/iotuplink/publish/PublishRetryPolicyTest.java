package io.iotuplink.publish;

import io.iotuplink.mqtt.PacketTooLargeException;
import io.iotuplink.mqtt.PublishRefusedException;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the publish route retries: anything the broker may take later, never what it can never take. */
class PublishRetryPolicyTest {

    private static final DefaultCamelContext CONTEXT = new DefaultCamelContext();

    @AfterAll
    static void close() throws Exception {
        CONTEXT.close();
    }

    private static Exchange failedWith(Exception failure) {
        Exchange exchange = new DefaultExchange(CONTEXT);
        // as the paho-mqtt5 producer's failure reaches the error handler: wrapped, the refusal among the causes
        exchange.setException(new CamelExecutionException("publish failed", exchange, failure));
        return exchange;
    }

    @Test
    void aPacketOverTheBrokersMaximumPacketSizeIsRefusedForGood() {
        assertTrue(PublishRetryPolicy.refusedForGood(failedWith(
                new PacketTooLargeException("bombercat/telemetry", 3173, 2048))));
    }

    @Test
    void notAuthorizedAndTheOtherLastingRefusalsAreRefusedForGood() {
        for (int code : new int[] {0x87, 0x90, 0x95, 0x99}) {
            assertTrue(PublishRetryPolicy.refusedForGood(failedWith(
                    new PublishRefusedException("bombercat/events", code, null))), Integer.toHexString(code));
        }
    }

    @Test
    void quotaExceededAndAMissingConnectionAreRetried() {
        assertFalse(PublishRetryPolicy.refusedForGood(failedWith(
                new PublishRefusedException("bombercat/telemetry", 0x97, "quota exceeded"))));
        assertFalse(PublishRetryPolicy.refusedForGood(failedWith(
                new PublishRefusedException("bombercat/telemetry", 0x89, null))));
        assertFalse(PublishRetryPolicy.refusedForGood(failedWith(
                new MqttException(MqttClientException.REASON_CODE_CLIENT_NOT_CONNECTED))));
    }
}
