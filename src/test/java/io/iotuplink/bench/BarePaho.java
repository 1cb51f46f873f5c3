package io.iotuplink.bench;

import io.iotuplink.tls.PemFiles;
import io.iotuplink.tls.PemTlsContext;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The benchmark's yardstick for the start: a bare Paho client in a JVM of its own that loads the device's PEM files,
 * connects over mutual TLS, publishes one reading at QoS 1 ({@code {"bare": "<client-id>"}}), waits for its PUBACK and
 * exits.
 * {@code BarePaho host port cert key ca topic client-id}
 */
public final class BarePaho {

    private BarePaho() {
    }

    public static void main(String[] args) throws Exception {
        PemFiles.Loaded pem = PemFiles.load(Path.of(args[2]), Path.of(args[3]), Path.of(args[4]));
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setSocketFactory(PemTlsContext.create(pem).socketFactory());
        options.setCleanStart(true);
        MqttClient client = new MqttClient("ssl://" + args[0] + ":" + args[1], args[6], new MemoryPersistence());
        client.connect(options);
        MqttMessage message = new MqttMessage(("{\"bare\": \"" + args[6] + "\"}").getBytes(StandardCharsets.UTF_8));
        message.setQos(1);
        client.publish(args[5], message);
        client.disconnect();
        client.close();
    }
}
