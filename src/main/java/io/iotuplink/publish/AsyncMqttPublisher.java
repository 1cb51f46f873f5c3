package io.iotuplink.publish;

import io.iotuplink.mqtt.UplinkMqttClient;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.paho.mqtt5.PahoMqtt5Constants;
import org.apache.camel.support.AsyncProcessorSupport;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Publishes the message body at QoS 1 to the topic in {@code CamelPahoOverrideTopic}, with the MQTT 5 properties in
 * {@code CamelPahoMsgProperties}, and lets the exchange go on when the PUBACK arrives: the calling thread is free
 * as soon as Paho has queued the publish, so many can await their PUBACK at once (the {@code paho-mqtt5:}
 * producer waits for each one). A refused publish, a lost connection or no PUBACK within the publish timeout fails
 * the exchange, for the route's error handler to retry.
 */
public final class AsyncMqttPublisher extends AsyncProcessorSupport {

    private final UplinkMqttClient client;
    private final long timeoutMillis;
    private final ScheduledExecutorService timeouts;

    public AsyncMqttPublisher(UplinkMqttClient client, Duration timeout, ScheduledExecutorService timeouts) {
        this.client = client;
        this.timeoutMillis = timeout.toMillis();
        this.timeouts = timeouts;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        Message in = exchange.getMessage();
        String topic = in.getHeader(PahoMqtt5Constants.CAMEL_PAHO_OVERRIDE_TOPIC, String.class);
        MqttMessage message = new MqttMessage(in.getBody(byte[].class));
        message.setQos(1);
        message.setRetained(false);
        MqttProperties properties = in.getHeader(PahoMqtt5Constants.CAMEL_PAHO_MSG_PROPERTIES, MqttProperties.class);
        if (properties != null) {
            message.setProperties(properties);
        }
        AtomicBoolean settled = new AtomicBoolean();
        ScheduledFuture<?> timeout = timeouts.schedule(() -> {
            if (settled.compareAndSet(false, true)) {
                exchange.setException(new MqttException(MqttClientException.REASON_CODE_CLIENT_TIMEOUT));
                callback.done(false);
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        try {
            client.publishAsync(topic, message, failure -> {
                if (settled.compareAndSet(false, true)) {
                    timeout.cancel(false);
                    if (failure != null) {
                        exchange.setException(failure);
                    }
                    callback.done(false);
                }
            });
            return false;
        } catch (MqttException | RuntimeException e) {
            if (!settled.compareAndSet(false, true)) {
                return false; // the timeout has already answered
            }
            timeout.cancel(false);
            exchange.setException(e);
            callback.done(true);
            return true;
        }
    }
}
