package io.iotuplink.outbox;

import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A full outbox while the broker is away: refused with 503 (files wait in the inbox), or the oldest dropped. */
class FullOutboxTest {

    @TempDir
    Path dir;

    private Map<String, String> offline(TestBroker gone, String policy) {
        Map<String, String> properties = RunningBundle.properties(gone,
                gone.device("bombercat-full", TestBroker.KeyForm.PKCS1), dir.resolve("data-" + policy));
        properties.put("uplink.outbox.max-readings", "3");
        properties.put("uplink.outbox.when-full", policy);
        // one publish at a time: the backlog goes on the wire in the outbox's order, which the tests check
        properties.put("uplink.max-inflight", "1");
        return properties;
    }

    private static String post(RunningBundle bundle, int seq, int expectedStatus) {
        HttpResponse<String> response = bundle.http("POST", "/telemetry", "application/json", "{\"seq\": " + seq + "}");
        assertEquals(expectedStatus, response.statusCode(), response.body());
        return response.body();
    }

    @Test
    void rejectAnswers503AndLeavesInboxFilesInPlace() throws IOException {
        TestBroker gone = TestBroker.start(dir.resolve("broker"));
        gone.close();
        Map<String, String> properties = offline(gone, "reject");
        try (RunningBundle bundle = RunningBundle.start(properties)) {
            for (int i = 0; i < 3; i++) {
                post(bundle, i, 202);
            }
            String refusal = post(bundle, 3, 503);
            assertEquals("outbox full", RunningBundle.json(refusal).get("error").asText());

            Path file = Files.writeString(Path.of(properties.get("uplink.inbox")).resolve("waiting.json"),
                    "{\"seq\": 4}");
            TestBroker.sleep(1500);
            assertTrue(Files.exists(file), "a file the outbox cannot take stays in the inbox");
            assertEquals(3, bundle.status().get("buffered").asInt());
            assertEquals(0, bundle.status().get("dropped").asInt());
        }
    }

    @Test
    void dropOldestMakesRoomCountsTheDropAndSendsTheRest() {
        TestBroker gone = TestBroker.start(dir.resolve("broker"));
        gone.close();
        List<String> ids = new ArrayList<>();
        try (RunningBundle bundle = RunningBundle.start(offline(gone, "drop-oldest"))) {
            for (int i = 0; i < 5; i++) {
                ids.add(RunningBundle.json(post(bundle, i, 202)).get("message_ids").get(0).asText());
            }
            assertEquals(3, bundle.status().get("buffered").asInt());
            assertEquals(2, bundle.status().get("dropped").asInt());

            try (TestBroker back = TestBroker.restart(gone, dir.resolve("broker-2"))) {
                List<String> delivered = back.await(p -> true, 3, Duration.ofSeconds(60)).stream()
                        .map(p -> p.userProperties().get("message_id")).toList();
                assertEquals(ids.subList(2, 5), delivered, "the newest three, oldest first");
            }
        }
    }
}
