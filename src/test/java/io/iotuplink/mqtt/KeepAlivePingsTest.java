package io.iotuplink.mqtt;

import io.iotuplink.support.ManualScheduler;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The keep-alive timer waits on a scheduler (monotonic time), never on a wall-clock {@code java.util.Timer}. */
class KeepAlivePingsTest {

    @Test
    void eachWaitPahoAsksForGoesToTheConnectionsOwnSchedulerAndStopEndsIt() throws Exception {
        ManualScheduler scheduler = new ManualScheduler();
        List<String> threads = new ArrayList<>();
        KeepAlivePings pings = new KeepAlivePings(() -> { }, name -> {
            threads.add(name);
            return scheduler;
        });
        MqttAsyncClient client = new MqttAsyncClient("ssl://localhost:8883", "ping-test", new MemoryPersistence(),
                pings, null);
        try {
            pings.start();
            pings.schedule(30_000);

            assertEquals(List.of("MQTT Ping: ping-test"), threads);
            assertEquals(Duration.ofSeconds(30), scheduler.delays().get(scheduler.delays().size() - 1));
            scheduler.advance(Duration.ofSeconds(30));

            pings.stop();
            pings.schedule(30_000);
            assertTrue(scheduler.isShutdown(), "stop() ends the connection's scheduler");
            assertEquals(2, scheduler.delays().size(), "nothing is scheduled once stopped");
        } finally {
            client.close();
        }
    }
}
