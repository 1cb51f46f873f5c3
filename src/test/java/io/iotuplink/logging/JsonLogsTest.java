package io.iotuplink.logging;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** UPLINK_LOG_FORMAT=json and UPLINK_LOG_FILE, as a log shipper reads them; no secret in any line. */
class JsonLogsTest {

    @TempDir
    Path dir;

    @Test
    void everyLineIsJsonWithTheConnectionStateAsAFieldAndTheFileGetsTheSame() throws Exception {
        try (TestBroker broker = TestBroker.start(dir.resolve("broker"))) {
            TestBroker.DeviceFiles device = broker.device("bombercat-json", TestBroker.KeyForm.PKCS1);
            Map<String, String> env = BundleProcess.environment(RunningBundle.properties(broker, device,
                    dir.resolve("data")));
            Path file = dir.resolve("logs").resolve("uplink.log");
            Files.createDirectories(file.getParent());
            env.put("UPLINK_LOG_FORMAT", "json");
            env.put("UPLINK_LOG_FILE", file.toString());

            try (BundleProcess bundle = BundleProcess.start(dir.resolve("run"), env)) {
                bundle.awaitOutput("\"formattedMessage\":\"MQTT connected", Duration.ofSeconds(60));
                bundle.terminate();
                assertEquals(0, bundle.waitForExit(Duration.ofSeconds(60)));

                List<String> lines = bundle.output().lines().filter(l -> !l.isBlank()).toList();
                JsonNode connected = null;
                for (String line : lines) {
                    JsonNode json = RunningBundle.json(line);
                    if (json.path("formattedMessage").asText().startsWith("MQTT connected")) {
                        connected = json;
                    }
                }
                assertTrue(connected != null, bundle.output());
                assertEquals("connected", connected.get("kvpList").get(0).get("connection_state").asText());
                assertTrue(Files.readString(file).contains("\"formattedMessage\":\"MQTT connected"));

                String everything = bundle.output() + Files.readString(file);
                for (String keyLine : Files.readAllLines(device.key())) {
                    if (!keyLine.startsWith("-----")) {
                        assertFalse(everything.contains(keyLine), "key material in the logs");
                    }
                }
            }
        }
    }
}
