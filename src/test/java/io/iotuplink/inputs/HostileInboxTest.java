package io.iotuplink.inputs;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a careless or hostile neighbour puts in the inbox: links, FIFOs, huge files, more readings than the outbox
 * can hold. None of it stops the inbox, leaks a file from elsewhere or is read over and over.
 */
class HostileInboxTest {

    private static final int OUTBOX_MAX_READINGS = 3;

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(p -> {
        p.put("uplink.inbox.settle-time", "300ms");
        p.put("uplink.inbox.max-file-size", "1KB");
        p.put("uplink.outbox.max-readings", String.valueOf(OUTBOX_MAX_READINGS));
    });
    static TestBroker broker;
    static Path inbox;
    static Path errors;

    @TempDir
    Path outside;

    @BeforeAll
    static void fixtures() throws IOException {
        broker = uplink.broker();
        inbox = Files.createDirectories(uplink.dataDir().resolveSibling("data-inbox"));
        errors = inbox.resolve(".error");
    }

    private static Path drop(String name, String content) throws IOException {
        Path partial = inbox.resolve("." + name + ".part");
        Files.writeString(partial, content);
        return Files.move(partial, inbox.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    /** Publishes a marker file and waits for it: every entry dropped before it has been polled by then. */
    private static void awaitAMarkerThrough() throws IOException {
        String marker = UUID.randomUUID().toString();
        drop("marker-" + marker + ".json", "{\"marker\": \"" + marker + "\"}");
        broker.await(p -> p.payloadText().contains(marker), 1, Duration.ofSeconds(20));
    }

    private static long fileRefused() {
        JsonNode file = uplink.bundle().status().path("inputs").path("file");
        return file.path("refused").asLong();
    }

    private static List<Path> inError(String name) throws IOException {
        if (!Files.isDirectory(errors)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(errors)) {
            return files.filter(f -> f.getFileName().toString().contains(name)).toList();
        }
    }

    private static boolean anyPublishContains(String text) {
        return broker.received().stream().anyMatch(p -> p.payloadText().contains(text));
    }

    @Test
    void aSymbolicLinkToASecretFileElsewhereIsNeitherPublishedNorCopied() throws IOException {
        String secret = "s3cret-" + UUID.randomUUID();
        Path file = Files.writeString(outside.resolve("secret.json"), "{\"password\": \"" + secret + "\"}");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Path link = Files.createSymbolicLink(inbox.resolve("secret.json"), file);

        awaitAMarkerThrough();
        awaitAMarkerThrough();

        assertFalse(anyPublishContains(secret), "the link's target was published");
        for (Path kept : inError("secret")) {
            assertFalse(Files.readString(kept).contains(secret), "the link's target was copied to " + kept);
        }
        assertTrue(Files.isSymbolicLink(link), "the link is left where it is");
        assertEquals("{\"password\": \"" + secret + "\"}", Files.readString(file), "the target is untouched");
    }

    @Test
    void aFifoNamedLikeAJsonFileDoesNotStopTheOtherFiles() throws Exception {
        Path fifo = inbox.resolve("fifo.json");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        String after = UUID.randomUUID().toString();

        drop("after-fifo.json", "{\"after\": \"" + after + "\"}");
        String published = broker.await(p -> p.payloadText().contains(after), 1, Duration.ofSeconds(20)).get(0)
                .payloadText();

        assertTrue(published.endsWith(",\"data\":{\"after\":\"" + after + "\"}}"), published);
        awaitAMarkerThrough();
        assertTrue(Files.exists(fifo), "the FIFO is left where it is");
    }

    @Test
    void aFileOverTheSizeBoundGoesToErrorWithItsReasonAndIsNeverReadAgain() throws IOException {
        long refusedBefore = fileRefused();
        StringBuilder lines = new StringBuilder();
        for (int i = 0; lines.length() <= 1024; i++) {
            lines.append("{\"huge\": ").append(i).append(", \"padding\": \"").append("x".repeat(40)).append("\"}\n");
        }
        byte[] content = lines.toString().getBytes(StandardCharsets.UTF_8);
        Path file = drop("huge.ndjson", lines.toString());

        Path kept = errors.resolve("huge.ndjson");
        Awaitility.await("huge.ndjson set aside").atMost(Duration.ofSeconds(20)).until(() -> Files.exists(kept)
                && Files.exists(errors.resolve("huge.ndjson.reason")));
        assertFalse(Files.exists(file));
        assertArrayEquals(content, Files.readAllBytes(kept), "kept whole, as it was");
        String reason = Files.readString(errors.resolve("huge.ndjson.reason"));
        assertTrue(reason.contains("the file: " + content.length + " bytes, more than uplink.inbox.max-file-size"
                + " (1024 bytes)"), reason);
        // several polls later: still once in .error, counted once, nothing of it published
        Awaitility.await("huge.ndjson counted once").during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                .until(() -> fileRefused() == refusedBefore + 1 && inError("huge").size() == 2);
        assertFalse(anyPublishContains("\"huge\":"));
    }

    @Test
    void aFileWithMoreReadingsThanTheOutboxCanEverHoldGoesToErrorWithItsReason() throws IOException {
        StringBuilder array = new StringBuilder("[");
        for (int i = 0; i <= OUTBOX_MAX_READINGS; i++) {
            array.append(i == 0 ? "" : ",").append("{\"many\": ").append(i).append("}");
        }
        String content = array.append("]").toString();
        Path file = drop("many.json", content);

        Path kept = errors.resolve("many.json");
        Awaitility.await("many.json set aside").atMost(Duration.ofSeconds(20)).until(() -> Files.exists(kept)
                && Files.exists(errors.resolve("many.json.reason")));
        assertFalse(Files.exists(file));
        assertEquals(content, Files.readString(kept));
        String reason = Files.readString(errors.resolve("many.json.reason"));
        assertTrue(reason.contains("the file: more readings than the outbox can ever hold (at most "
                + OUTBOX_MAX_READINGS + " readings"), reason);
        awaitAMarkerThrough();
        assertFalse(anyPublishContains("\"many\":"), "none of its readings went out");
    }

    @Test
    void aFileAsLargeAsTheOutboxAllowsGoesOutWhole() throws IOException {
        String id = UUID.randomUUID().toString();
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < OUTBOX_MAX_READINGS; i++) {
            lines.append("{\"fits\": \"").append(id).append("\", \"n\": ").append(i).append("}\n");
        }
        Path file = drop("fits.ndjson", lines.toString());

        List<String> published = broker.await(p -> p.payloadText().contains(id), OUTBOX_MAX_READINGS,
                Duration.ofSeconds(20)).stream().map(p -> p.payloadText()).toList();
        for (int i = 0; i < OUTBOX_MAX_READINGS; i++) {
            String data = ",\"data\":{\"fits\":\"" + id + "\",\"n\":" + i + "}}";
            assertTrue(published.stream().anyMatch(p -> p.endsWith(data)), data + " in " + published);
        }
        RunningBundle.await(() -> !Files.exists(file), Duration.ofSeconds(20), "fits.ndjson removed");
    }
}
