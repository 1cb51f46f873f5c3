package io.iotuplink.inputs;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An inbox file's records are counted once, when they are in the outbox, however often the file is read. */
class FileInboxCountsTest {

    @TempDir
    Path dir;

    private static long fileAccepted(RunningBundle bundle) {
        JsonNode file = bundle.status().get("inputs").get("file");
        return file == null ? 0 : file.get("accepted").asLong();
    }

    @Test
    void aFileTheFullOutboxRefusedIsCountedOnceWhenItGoesIn() throws IOException {
        TestBroker gone = TestBroker.start(dir.resolve("broker"));
        gone.close();
        Map<String, String> properties = RunningBundle.properties(gone,
                gone.device("bombercat-inbox", TestBroker.KeyForm.PKCS1), dir.resolve("data"));
        properties.put("uplink.outbox.max-readings", "1");
        properties.put("uplink.outbox.when-full", "reject");
        try (RunningBundle bundle = RunningBundle.start(properties)) {
            HttpResponse<String> filling = bundle.http("POST", "/telemetry", "application/json", "{\"seq\": 1}");
            assertEquals(202, filling.statusCode(), filling.body());

            Path file = Files.writeString(Files.createDirectories(Path.of(properties.get("uplink.inbox")))
                    .resolve("waiting.json"), "{\"seq\": 2}");
            TestBroker.sleep(1500);
            assertTrue(Files.exists(file), "the outbox was full: the file waits in the inbox");
            assertEquals(0, fileAccepted(bundle), "a file still in the inbox has nothing in the outbox");

            try (TestBroker back = TestBroker.restart(gone, dir.resolve("broker-2"))) {
                RunningBundle.await(() -> !Files.exists(file), Duration.ofSeconds(60), "the file to go in");
                assertEquals(1, fileAccepted(bundle));
            }
        }
    }
}
