package io.iotuplink.outbox;

import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;

import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A client for the {@code paho-mqtt5:} endpoint that never connects: each publish waits, like a QoS 1 publish for
 * its PUBACK, until the test answers it ({@link Publish#acknowledge()} or {@link Publish#fail}).
 */
final class FakeMqttClient extends MqttClient {

    /** One publish awaiting the test's answer. */
    record Publish(String topic, MqttMessage message, CompletableFuture<Void> answer) {

        String messageId() {
            return message.getProperties().getUserProperties().stream()
                    .filter(p -> p.getKey().equals("message_id")).findFirst().orElseThrow().getValue();
        }

        void acknowledge() {
            answer.complete(null);
        }

        void fail(Exception failure) {
            answer.completeExceptionally(failure);
        }
    }

    private final BlockingQueue<Publish> publishes = new LinkedBlockingQueue<>();
    private final Queue<Publish> unanswered = new ConcurrentLinkedQueue<>();

    FakeMqttClient() throws MqttException {
        super("tcp://127.0.0.1:1", "fake", new MemoryPersistence());
    }

    @Override
    public void publish(String topic, MqttMessage message) throws MqttException {
        Publish publish = new Publish(topic, message, new CompletableFuture<>());
        unanswered.add(publish);
        publishes.add(publish);
        try {
            publish.answer().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof MqttException mqtt) {
                throw mqtt;
            }
            throw (RuntimeException) e.getCause();
        } catch (InterruptedException | TimeoutException e) {
            throw new MqttException(MqttClientException.REASON_CODE_CLIENT_TIMEOUT);
        }
    }

    /** Fails every publish still waiting (the test is over). */
    void failAll() {
        unanswered.forEach(p -> p.fail(new MqttException(MqttClientException.REASON_CODE_CONNECTION_LOST)));
    }

    /** The next publish the route made, waiting at most a few seconds for it. */
    Publish next() throws InterruptedException {
        Publish publish = publishes.poll(5, TimeUnit.SECONDS);
        if (publish == null) {
            throw new AssertionError("no publish within 5 s");
        }
        return publish;
    }

    /** A publish made within {@code millis}, or null. */
    Publish poll(long millis) throws InterruptedException {
        return publishes.poll(millis, TimeUnit.MILLISECONDS);
    }
}
