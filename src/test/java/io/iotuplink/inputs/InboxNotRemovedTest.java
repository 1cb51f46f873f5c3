package io.iotuplink.inputs;

import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A file the bundle cannot delete once its readings are stored is ingested once, also across a restart, and
 * {@code GET /status} counts it. Tests run as root, who ignores permission bits: the file is made immutable
 * ({@code chattr +i}); where the file system does not allow that the test is skipped, and InboxLeftoversTest covers
 * the same logic with Camel's failed delete simulated.
 */
class InboxNotRemovedTest {

    @TempDir
    Path dir;

    private static boolean chattr(String flag, Path file) throws IOException, InterruptedException {
        return new ProcessBuilder("chattr", flag, file.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() == 0;
    }

    private static long published(TestBroker broker, String marker) {
        return broker.received().stream().filter(p -> p.payloadText().contains(marker)).count();
    }

    @Test
    void aFileThatCannotBeDeletedIsIngestedOnceEvenAcrossARestart() throws Exception {
        try (TestBroker broker = TestBroker.start(dir.resolve("broker"))) {
            Map<String, String> properties = RunningBundle.properties(broker,
                    broker.device("bombercat-stuck", TestBroker.KeyForm.PKCS1), dir.resolve("data"));
            properties.put("uplink.inbox.settle-time", "200ms");
            Path inbox = Files.createDirectories(Path.of(properties.get("uplink.inbox")));
            String marker = UUID.randomUUID().toString();
            Path stuck = Files.writeString(inbox.resolve("stuck.json"), "{\"stuck\": \"" + marker + "\"}");
            assumeTrue(chattr("+i", stuck), "this file system cannot make a file immutable");
            try {
                try (RunningBundle bundle = RunningBundle.start(properties).awaitConnected()) {
                    String payload = broker.await(p -> p.payloadText().contains(marker), 1, Duration.ofSeconds(20))
                            .get(0).payloadText();
                    assertTrue(payload.endsWith(",\"data\":{\"stuck\":\"" + marker + "\"}}"), payload);
                    RunningBundle.await(() -> bundle.status().path("inbox").path("not_removed").asInt() == 1,
                            Duration.ofSeconds(20), "the status to count the file");
                    // many polls later: still published once, counted once
                    Awaitility.await("no second copy").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                            .until(() -> published(broker, marker) == 1);
                    assertEquals(1, bundle.status().path("inputs").path("file").path("accepted").asLong());
                }

                try (RunningBundle restarted = RunningBundle.start(properties).awaitConnected()) {
                    String after = UUID.randomUUID().toString();
                    Path partial = Files.writeString(inbox.resolve(".after.json.part"), "{\"after\": \"" + after
                            + "\"}");
                    Files.move(partial, inbox.resolve("after.json"), StandardCopyOption.ATOMIC_MOVE);
                    broker.await(p -> p.payloadText().contains(after), 1, Duration.ofSeconds(20));
                    Awaitility.await("no copy after the restart").during(Duration.ofSeconds(1))
                            .atMost(Duration.ofSeconds(5)).until(() -> published(broker, marker) == 1);
                    assertEquals(1, restarted.status().path("inbox").path("not_removed").asInt());
                    assertTrue(Files.exists(stuck));
                }
            } finally {
                chattr("-i", stuck);
            }
        }
    }
}
