package io.iotuplink.support;

import io.iotuplink.config.MqttSession;
import io.iotuplink.mqtt.MqttOptions;
import io.iotuplink.tls.PemFiles;
import io.iotuplink.tls.PemTlsContext;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** A separate MQTT 5 client that subscribes over mutual TLS and keeps what it receives, as a cloud consumer would. */
public final class Subscriber implements AutoCloseable {

    /** A message as the subscriber got it, with its topic. */
    public record Received(String topic, MqttMessage message) {
        public String text() {
            return new String(message.getPayload(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private final MqttClient client;
    private final List<Received> received = new CopyOnWriteArrayList<>();

    public Subscriber(int port, TestBroker.DeviceFiles files, String clientId, String filter) {
        try {
            client = new MqttClient("ssl://localhost:" + port, clientId, new MemoryPersistence());
            client.connect(MqttOptions.connect(new MqttSession(Duration.ofSeconds(30), true, Duration.ZERO,
                    Duration.ofSeconds(10), Duration.ofSeconds(10)), PemTlsContext.create(
                    PemFiles.load(files.certificate(), files.key(), files.ca())).socketFactory()));
            IMqttMessageListener listener = (topic, message) -> received.add(new Received(topic, message));
            client.subscribe(new MqttSubscription[] {new MqttSubscription(filter, 1)},
                    new IMqttMessageListener[] {listener});
        } catch (MqttException e) {
            throw new AssertionError("the subscriber could not connect: " + e, e);
        }
    }

    public Received await(Predicate<Received> match, Duration timeout) {
        RunningBundle.await(() -> received.stream().anyMatch(match), timeout, "a matching message");
        return received.stream().filter(match).findFirst().orElseThrow();
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    @Override
    public void close() {
        try {
            client.disconnect();
            client.close();
        } catch (MqttException e) {
            // the broker may be gone already
        }
    }
}
