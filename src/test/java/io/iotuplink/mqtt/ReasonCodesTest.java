package io.iotuplink.mqtt;

import org.apache.camel.RuntimeCamelException;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.Test;

import java.io.EOFException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How an MQTT failure reads in a log line or the connection history. */
class ReasonCodesTest {

    @Test
    void aClientExceptionNamesItsCodeAndTheCauseItWrapsNotPahosUntranslatedText() {
        MqttException wrapped = new MqttException(new IllegalStateException("Queue full"));
        assertEquals("Untranslated MqttException - RC: 0", wrapped.getMessage());

        assertEquals("Paho 0 client error (IllegalStateException: Queue full)", ReasonCodes.describe(wrapped));
    }

    @Test
    void aPahoCodeNamesItsNumberItsTextAndItsCause() {
        assertEquals("Paho 32109 Connection lost (EOFException)", ReasonCodes.describe(
                new MqttException(MqttClientException.REASON_CODE_CONNECTION_LOST, new EOFException())));
        assertEquals("Paho 32000 Timed out waiting for a response from the server", ReasonCodes.describe(
                new MqttException(MqttClientException.REASON_CODE_CLIENT_TIMEOUT)));
    }

    @Test
    void aBrokersReasonCodeIsNamedInHex() {
        assertEquals("0x82 protocol error", ReasonCodes.describe(new MqttException(0x82)));
        assertEquals("0x98 administrative action", ReasonCodes.describe(0x98));
    }

    @Test
    void anMqttExceptionWrappedByCamelIsFoundAmongTheCauses() {
        assertEquals("Paho 32104 Client is not connected", ReasonCodes.describe(new RuntimeCamelException(
                new MqttException(MqttClientException.REASON_CODE_CLIENT_NOT_CONNECTED))));
    }

    @Test
    void aPublishFailureCamelLogsReadsTheSameAndKeepsItsCode() {
        MqttException described = DescribedMqttException.of(
                new MqttException(new java.io.IOException("Broken pipe")));

        assertEquals(0, described.getReasonCode());
        assertEquals("Paho 0 client error (IOException: Broken pipe)", described.toString());
        assertEquals(described.getMessage(), ReasonCodes.describe(new RuntimeCamelException(described)));
    }

    @Test
    void anyOtherFailureIsItsMessage() {
        assertEquals("disk full", ReasonCodes.describe(new IllegalStateException("disk full")));
    }
}
