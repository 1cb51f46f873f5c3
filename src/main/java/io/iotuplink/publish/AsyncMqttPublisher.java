package io.iotuplink.publish;

import io.iotuplink.mqtt.UplinkMqttClient;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.TimeoutMap;
import org.apache.camel.component.paho.mqtt5.PahoMqtt5Constants;
import org.apache.camel.support.AsyncProcessorSupport;
import org.apache.camel.support.DefaultTimeoutMap;
import org.apache.camel.support.service.ServiceHelper;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

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
    /** The publishes awaiting their PUBACK; one sweep every tenth of the timeout fails those past it. */
    private final DefaultTimeoutMap<Awaiting, Awaiting> awaiting;

    public AsyncMqttPublisher(UplinkMqttClient client, Duration timeout, ScheduledExecutorService timeouts) {
        this.client = client;
        this.timeoutMillis = timeout.toMillis();
        this.awaiting = new DefaultTimeoutMap<>(timeouts, Math.max(10, Math.min(100, timeoutMillis / 10)));
        awaiting.addListener((type, publish, same) -> {
            if (type == TimeoutMap.Listener.Type.Evict) {
                publish.settle(new MqttException(MqttClientException.REASON_CODE_CLIENT_TIMEOUT));
            }
        });
    }

    @Override
    protected void doStart() throws Exception {
        ServiceHelper.startService(awaiting);
    }

    @Override
    protected void doStop() throws Exception {
        ServiceHelper.stopService(awaiting);
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        Message in = exchange.getMessage();
        Awaiting publish = new Awaiting(failure -> {
            if (failure != null) {
                exchange.setException(failure);
            }
            callback.done(false);
        });
        try {
            start(in.getHeader(PahoMqtt5Constants.CAMEL_PAHO_OVERRIDE_TOPIC, String.class), in.getBody(byte[].class),
                    in.getHeader(PahoMqtt5Constants.CAMEL_PAHO_MSG_PROPERTIES, MqttProperties.class), publish);
            return false;
        } catch (MqttException | RuntimeException e) {
            // false: the timeout has already answered
            if (publish.claim()) {
                exchange.setException(e);
                callback.done(true);
                return true;
            }
            return false;
        }
    }

    /**
     * The same outside a route: {@code settled} gets null on a PUBACK that accepts the publish, else the failure
     * (a refusal, a lost connection, no PUBACK in time), once, on Paho's callback thread, the timeout's or this one.
     */
    public void publish(String topic, byte[] payload, MqttProperties properties, Consumer<Throwable> settled) {
        Awaiting publish = new Awaiting(settled);
        try {
            start(topic, payload, properties, publish);
        } catch (MqttException | RuntimeException e) {
            publish.settle(e);
        }
    }

    private void start(String topic, byte[] payload, MqttProperties properties, Awaiting publish)
            throws MqttException {
        MqttMessage message = new MqttMessage(payload);
        message.setQos(1);
        message.setRetained(false);
        if (properties != null) {
            message.setProperties(properties);
        }
        awaiting.put(publish, publish, timeoutMillis);
        try {
            client.publishAsync(topic, message, failure -> {
                awaiting.remove(publish);
                publish.settle(failure);
            });
        } catch (MqttException | RuntimeException e) {
            awaiting.remove(publish);
            throw e;
        }
    }

    /** A publish awaiting its PUBACK, settled once: by the PUBACK, a failure or the timeout, whichever is first. */
    private static final class Awaiting {

        private final AtomicBoolean settled = new AtomicBoolean();
        private final Consumer<Throwable> outcome;

        Awaiting(Consumer<Throwable> outcome) {
            this.outcome = outcome;
        }

        /** Whether this caller is the first to settle it (and so the one to answer). */
        boolean claim() {
            return settled.compareAndSet(false, true);
        }

        /** Settles it with {@code failure} (null: acknowledged), unless it was settled before. */
        void settle(Throwable failure) {
            if (claim()) {
                outcome.accept(failure);
            }
        }
    }
}
