package io.iotuplink.inputs;

import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.SerialPair;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A serial device (a socat pseudo-terminal pair) sending one JSON record per line. */
class SerialInputTest {

    @TempDir
    Path dir;

    @Test
    void linesBecomeReadingsGarbageIsCountedAndUnplugReplugResumes() {
        try (TestBroker broker = TestBroker.start(dir.resolve("broker"));
             SerialPair serial = SerialPair.start(dir.resolve("dev"))) {
            Map<String, String> properties = RunningBundle.properties(broker,
                    broker.device("bombercat-serial", TestBroker.KeyForm.PKCS1), dir.resolve("data"));
            properties.put("uplink.serial.port", serial.devicePath().toString());
            properties.put("uplink.serial.baud", "9600");
            try (RunningBundle bundle = RunningBundle.start(properties).awaitConnected()) {
                serial.write("{\"temperature\": 21.5, \"line\": 1}\r\n");
                serial.write("this is not json\n{\"line\": 2}\n{\"event\": \"door_open\", \"metadata\": {\"line\": 3}}\n");

                broker.await(p -> p.payloadText().contains("\"data\":{\"temperature\":21.5,\"line\":1}"), 1,
                        Duration.ofSeconds(20));
                broker.await(p -> p.payloadText().contains("\"data\":{\"line\":2}"), 1, Duration.ofSeconds(20));
                assertEquals("bombercat/events", broker.await(p -> p.payloadText().contains("door_open"), 1,
                        Duration.ofSeconds(20)).get(0).topic());
                var counts = bundle.status().get("inputs").get("serial");
                assertEquals(3, counts.get("accepted").asInt(), counts.toString());
                assertEquals(1, counts.get("refused").asInt(), counts.toString());

                serial.unplug();
                serial.plugIn();
                // the bundle notices the device within its reconnect delay; until then a line may go nowhere, so the
                // line is written again on each poll
                await("a line written after the replug").atMost(Duration.ofSeconds(20))
                        .pollDelay(Duration.ZERO).pollInterval(Duration.ofSeconds(1)).until(() -> {
                            serial.write("{\"line\": 4, \"after\": \"replug\"}\n");
                            return broker.received().stream().anyMatch(p -> p.payloadText().contains("replug"));
                        });
                assertTrue(bundle.context().getRouteController().getRouteStatus("uplink-serial").isStarted());
            }
        }
    }
}
