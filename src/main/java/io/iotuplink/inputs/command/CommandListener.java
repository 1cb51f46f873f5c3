package io.iotuplink.inputs.command;

import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The listener of the commands subscription, on Paho's callback thread: it only puts each command on a bounded
 * queue and returns, never waits and never throws (Paho drops the connection when a listener throws, and stops
 * acknowledging what the broker sends while it waits). A command that finds the run queue full goes to the queue of
 * {@code busy} answers; one that finds that full too is dropped and counted. A retained command goes there as well,
 * to be answered {@code ignored}, once per run.
 *
 * <p>Called by Paho's one callback thread only.
 */
final class CommandListener implements IMqttMessageListener {

    private static final Logger LOG = LoggerFactory.getLogger(CommandListener.class);
    /** Retained commands remembered as answered; past this the oldest is forgotten (and answered again). */
    private static final int RETAINED_REMEMBERED = 256;

    private final ProducerTemplate producer;
    private final Endpoint run;
    private final Endpoint declined;
    private final CommandOverflow overflow;
    private final Map<String, Boolean> retainedAnswered = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > RETAINED_REMEMBERED;
        }
    };

    CommandListener(ProducerTemplate producer, Endpoint run, Endpoint declined, CommandOverflow overflow) {
        this.producer = producer;
        this.run = run;
        this.declined = declined;
        this.overflow = overflow;
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
        try {
            byte[] correlation = message.getProperties() == null ? null
                    : message.getProperties().getCorrelationData();
            if (message.isRetained()) {
                retained(topic, message, correlation);
            } else if (!offer(run, topic, message, correlation, null)) {
                overflow.busy();
                if (!offer(declined, topic, message, correlation, CommandRoutes.BUSY)) {
                    overflow.dropped("the queues of commands and of busy answers are full");
                }
            }
        } catch (RuntimeException e) {
            overflow.dropped(e.toString());
        }
    }

    private void retained(String topic, MqttMessage message, byte[] correlation) {
        String key = topic + '\n' + Arrays.hashCode(message.getPayload()) + '\n' + Arrays.hashCode(correlation);
        if (retainedAnswered.put(key, Boolean.TRUE) != null) {
            LOG.debug("The retained command on {} came again (a new subscription); not run, answered before", topic);
            return;
        }
        LOG.warn("Command on {} not run: it is a retained message (a broker hands it to every new subscription, so"
                + " it would run at every reconnect); answered 'ignored'. Publish an empty retained message to {}"
                + " to clear it", topic, topic);
        if (!offer(declined, topic, message, correlation, CommandRoutes.IGNORED)) {
            retainedAnswered.remove(key);
            overflow.dropped("the queue of answers is full");
        }
    }

    /** Queues the command without waiting; false when the queue is full. */
    private boolean offer(Endpoint queue, String topic, MqttMessage message, byte[] correlation, String answer) {
        Exchange sent = producer.send(queue, exchange -> {
            exchange.getMessage().setBody(message.getPayload());
            exchange.getMessage().setHeader(CommandRoutes.TOPIC, topic);
            if (correlation != null) {
                exchange.getMessage().setHeader(CommandRoutes.CORRELATION_DATA,
                        new String(correlation, StandardCharsets.UTF_8));
            }
            if (answer != null) {
                exchange.getMessage().setHeader(CommandRoutes.ANSWER, answer);
            }
        });
        // seda with blockWhenFull=false fails the exchange with "Queue full" instead of waiting for room
        return sent.getException() == null;
    }
}
