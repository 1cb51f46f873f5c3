package io.iotuplink.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.SharedBroker;
import io.iotuplink.support.TestBroker;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The data dir stops taking writes while the bundle publishes (faults injected into the outbox's database: every
 * removal and then every append fails, as on a full disk): nothing published is sent again, new input is refused
 * with 507 and waits in the inbox, status and metrics say so, and all of it goes out once writes work again.
 * One broker serves the class; each test has its own client id and counts only that client's publishes.
 */
class FullDiskTest {

    private static final int WINDOW = 5;
    private static final String INJECTED = "database or disk is full (injected)";

    @RegisterExtension
    static final SharedBroker shared = new SharedBroker();

    @TempDir
    Path dir;

    private static String trigger(String name, String operation) {
        return "CREATE TRIGGER " + name + " BEFORE " + operation + " ON readings BEGIN SELECT RAISE(ABORT, '"
                + INJECTED + "'); END";
    }

    /** How often the broker got each message id from {@code clientId}. */
    private static Map<String, Integer> copies(String clientId) {
        Map<String, Integer> copies = new HashMap<>();
        for (ReceivedPublish p : shared.broker().received()) {
            if (p.clientId().equals(clientId)) {
                copies.merge(p.userProperties().get("message_id"), 1, Integer::sum);
            }
        }
        return copies;
    }

    private static String accepted(HttpResponse<String> response) {
        assertEquals(202, response.statusCode(), response.body());
        return RunningBundle.json(response.body()).get("message_ids").get(0).asText();
    }

    @Test
    void publishedReadingsAreNotSentAgainNewInputGets507AndEverythingGoesOutOnceWritesWork() throws Exception {
        Path data = dir.resolve("data");
        String clientId = "bombercat-disk";
        Map<String, String> properties = RunningBundle.properties(shared.broker(),
                shared.broker().device(clientId, TestBroker.KeyForm.PKCS1), data);
        properties.put("aws.iot.client-id", clientId);
        properties.put("uplink.max-inflight", String.valueOf(WINDOW));
        Path inbox = Path.of(properties.get("uplink.inbox"));
        List<String> ids = new ArrayList<>();
        try (RunningBundle bundle = RunningBundle.start(properties).awaitConnected();
             Connection fault = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("outbox.db"));
             Statement sql = fault.createStatement()) {
            sql.execute(trigger("no_room_to_remove", "DELETE"));
            for (int i = 0; i < 20; i++) {
                ids.add(accepted(bundle.http("POST", "/telemetry", "application/json", "{\"seq\": " + i + "}")));
            }
            RunningBundle.await(() -> copies(clientId).keySet().containsAll(ids), Duration.ofSeconds(20),
                    "the 20 readings at the broker");
            RunningBundle.await(() -> bundle.status().get("outbox").get("awaiting_removal").asInt() == 20,
                    Duration.ofSeconds(10), "20 published readings awaiting their removal");

            sql.execute(trigger("no_room_to_append", "INSERT"));
            HttpResponse<String> refused = bundle.http("POST", "/telemetry", "application/json",
                    "{\"seq\": 20}");
            assertEquals(507, refused.statusCode(), refused.body());
            JsonNode body = RunningBundle.json(refused.body());
            assertEquals("outbox storage failing", body.get("error").asText(), refused.body());
            assertEquals(data.toAbsolutePath().toString(), body.get("data_dir").asText());
            assertTrue(body.get("detail").asText().contains(INJECTED), refused.body());
            assertTrue(body.get("free_bytes").asLong() > 0, refused.body());
            Path file = Files.writeString(inbox.resolve("during.json"), "{\"seq\": 21}");

            // while writes fail (longer than a failed exchange's pause and many removal attempts)
            Awaitility.await("no copies beyond the accepted readings and the window")
                    .during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                    .until(() -> copies(clientId).values().stream().mapToInt(Integer::intValue).sum()
                            <= ids.size() + WINDOW);
            assertTrue(copies(clientId).values().stream().allMatch(n -> n == 1), copies(clientId).toString());
            assertTrue(Files.exists(file), "the inbox file waits in the inbox");
            assertTrue(!Files.exists(inbox.resolve(".error").resolve("during.json")), "not set aside as bad");
            JsonNode status = bundle.status();
            assertEquals("failing", status.get("outbox").get("storage").asText(), status.toString());
            assertTrue(status.get("outbox").get("error").asText().contains(INJECTED), status.toString());
            assertEquals(20, status.get("outbox").get("awaiting_removal").asInt(), status.toString());
            assertEquals(0, status.get("buffered").asInt(), "stored still (their removal failed), but none waits");
            assertEquals(20, status.get("published").asInt(), "each reading counted once");
            assertEquals(status.get("readings_accepted").asLong(), status.get("readings_published").asLong()
                    + status.get("buffered").asLong() + status.get("readings_failed").asLong()
                    + status.get("readings_expired").asLong() + status.get("readings_dropped").asLong(),
                    "the books balance while the disk is full: " + status);
            assertTrue(bundle.http("GET", "/observe/metrics", null, null).body()
                    .contains("uplink_outbox_storage_full 1.0"), "the metric says so");

            // the space comes back
            sql.execute("DROP TRIGGER no_room_to_remove");
            sql.execute("DROP TRIGGER no_room_to_append");
            RunningBundle.await(() -> {
                JsonNode now = bundle.status();
                return now.get("outbox").get("storage").asText().equals("ok") && now.get("buffered").asInt() == 0
                        && now.get("outbox").get("awaiting_removal").asInt() == 0;
            }, Duration.ofSeconds(20), "an outbox that writes again and is empty");
            ids.add(accepted(bundle.http("POST", "/telemetry", "application/json", "{\"seq\": 22}")));
            RunningBundle.await(() -> !Files.exists(file), Duration.ofSeconds(20), "the inbox file read");
            RunningBundle.await(() -> copies(clientId).size() == ids.size() + 1, Duration.ofSeconds(20),
                    "the new reading and the inbox file's at the broker");
            assertTrue(copies(clientId).keySet().containsAll(ids));
            assertTrue(copies(clientId).values().stream().allMatch(n -> n == 1), copies(clientId).toString());
            assertTrue(bundle.http("GET", "/observe/metrics", null, null).body()
                    .contains("uplink_outbox_storage_full 0.0"), "the metric says so");
        }
    }

    @Test
    void onARealFileSystemThatFillsUpNewInputGets507NamingTheSpaceAndIsTakenOnceThereIsRoom() throws Exception {
        Path data = Files.createDirectories(dir.resolve("small-disk"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", data.toString())
                .redirectErrorStream(true).start();
        Assumptions.assumeTrue(mount.waitFor(10, TimeUnit.SECONDS) && mount.exitValue() == 0,
                "cannot mount a tmpfs here (not root?)");
        try {
            Map<String, String> properties = RunningBundle.properties(shared.broker(),
                    shared.broker().device("bombercat-tmpfs", TestBroker.KeyForm.PKCS1), data);
            properties.put("aws.iot.client-id", "bombercat-tmpfs");
            try (RunningBundle bundle = RunningBundle.start(properties).awaitConnected()) {
                String before = accepted(bundle.http("POST", "/telemetry", "application/json", "{\"seq\": 0}"));
                shared.broker().await(p -> before.equals(p.userProperties().get("message_id")), 1,
                        Duration.ofSeconds(20));
                Path filler = fillUp(data);

                HttpResponse<String> refused = bundle.http("POST", "/telemetry", "application/json", "{\"seq\": 1}");

                assertEquals(507, refused.statusCode(), refused.body());
                JsonNode body = RunningBundle.json(refused.body());
                assertEquals("outbox storage full", body.get("error").asText(), refused.body());
                assertEquals(data.toAbsolutePath().toString(), body.get("data_dir").asText());
                assertTrue(body.get("free_bytes").asLong() < 4096, refused.body());
                assertTrue(body.get("needed_bytes").asLong() > 0, refused.body());
                assertTrue(body.get("detail").asText().contains("SQLITE_FULL"), refused.body());
                JsonNode status = bundle.status();
                assertEquals("full", status.get("outbox").get("storage").asText(), status.toString());

                Files.delete(filler);
                String after = accepted(bundle.http("POST", "/telemetry", "application/json", "{\"seq\": 2}"));

                shared.broker().await(p -> after.equals(p.userProperties().get("message_id")), 1,
                        Duration.ofSeconds(20));
                RunningBundle.await(() -> bundle.status().get("outbox").get("storage").asText().equals("ok")
                        && bundle.status().get("buffered").asInt() == 0, Duration.ofSeconds(10), "an empty outbox");
            }
        } finally {
            new ProcessBuilder("umount", data.toString()).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void readingsStoredBeforeTheDiskFilledUpGoOutWhileItIsFull() throws Exception {
        Path data = Files.createDirectories(dir.resolve("full-while-online"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", data.toString())
                .redirectErrorStream(true).start();
        Assumptions.assumeTrue(mount.waitFor(10, TimeUnit.SECONDS) && mount.exitValue() == 0,
                "cannot mount a tmpfs here (not root?)");
        try {
            String clientId = "bombercat-full-online";
            Map<String, String> properties = RunningBundle.properties(shared.broker(),
                    shared.broker().device(clientId, TestBroker.KeyForm.PKCS1), data);
            properties.put("aws.iot.client-id", clientId);
            try (RunningBundle bundle = RunningBundle.start(properties).awaitConnected()) {
                assertEquals(200, bundle.http("POST", "/connection", "application/json", "{\"reconnect\": false}")
                        .statusCode());
                shared.broker().cutOff(clientId);
                RunningBundle.await(() -> !bundle.status().get("connected").asBoolean(), Duration.ofSeconds(20),
                        "the connection cut");
                List<String> stored = new ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    stored.add(accepted(bundle.http("POST", "/telemetry", "application/json", "{\"seq\": " + i + "}")));
                }
                Path filler = fillUp(data);
                assertEquals(507, bundle.http("POST", "/telemetry", "application/json", "{\"late\": 1}").statusCode());

                // the broker is back, the disk still full: what was stored goes out, its removal waits for room
                assertEquals(200, bundle.http("POST", "/connection", "application/json", "{\"reconnect\": true}")
                        .statusCode());
                RunningBundle.await(() -> copies(clientId).keySet().containsAll(stored), Duration.ofSeconds(20),
                        "the stored readings at the broker while the disk is full");
                JsonNode status = bundle.status();
                assertEquals("full", status.get("outbox").get("storage").asText(), status.toString());
                assertEquals(0, status.get("buffered").asInt(), "none waits: " + status);

                Files.delete(filler);
                RunningBundle.await(() -> bundle.status().get("outbox").get("awaiting_removal").asInt() == 0,
                        Duration.ofSeconds(20), "their removal once there is room");
                String after = accepted(bundle.http("POST", "/telemetry", "application/json", "{\"after\": 1}"));
                RunningBundle.await(() -> copies(clientId).containsKey(after)
                        && bundle.status().get("outbox").get("storage").asText().equals("ok"), Duration.ofSeconds(20),
                        "new readings taken and sent again");
                assertTrue(copies(clientId).values().stream().allMatch(n -> n == 1), copies(clientId).toString());
            }
        } finally {
            new ProcessBuilder("umount", data.toString()).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Writes a file until the file system has no room left; deleting it gives the room back. */
    private static Path fillUp(Path disk) throws IOException {
        Path filler = disk.resolve("filler");
        byte[] block = new byte[4096];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
                out.flush();
            }
        } catch (IOException noSpaceLeft) {
            // that was the point
        }
        return filler;
    }
}
