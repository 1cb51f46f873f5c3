package io.iotuplink.inputs;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.apache.camel.Exchange;
import org.apache.camel.builder.Builder;
import org.apache.camel.builder.NotifyBuilder;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An inbox file dropped while the outbox is full (the connection is down and readings wait): it stays in the inbox
 * untouched, nothing of it is set aside or counted, the log does not repeat itself at every poll; once there is
 * room it is read once, whole.
 */
class InboxFullOutboxTest {

    /** Polls at the file consumer's default 500 ms: several polls while the file waits. */
    private static final Duration SEVERAL_POLLS = Duration.ofSeconds(3);

    @TempDir
    Path dir;
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    @BeforeEach
    void captureTheLog() {
        logged.start();
        root.addAppender(logged);
    }

    @AfterEach
    void releaseTheLog() {
        root.detachAppender(logged);
    }

    /** A bundle whose broker is gone, with an outbox of {@code maxReadings} readings that refuses when full. */
    private Map<String, String> offline(TestBroker gone, int maxReadings) {
        Map<String, String> properties = RunningBundle.properties(gone,
                gone.device("bombercat-inbox-full", TestBroker.KeyForm.PKCS1), dir.resolve("data"));
        properties.put("uplink.outbox.max-readings", String.valueOf(maxReadings));
        properties.put("uplink.outbox.when-full", "reject");
        properties.put("uplink.inbox.settle-time", "300ms");
        // back within a second of the broker
        properties.put("uplink.reconnect.max-delay", "1s");
        return properties;
    }

    private static void post(RunningBundle bundle, int readings) {
        for (int i = 0; i < readings; i++) {
            HttpResponse<String> response = bundle.http("POST", "/telemetry", "application/json",
                    "{\"posted\": " + i + "}");
            assertEquals(202, response.statusCode(), response.body());
        }
    }

    private static Path drop(Path inbox, String name, String content) throws IOException {
        Path partial = Files.createDirectories(inbox).resolve("." + name + ".part");
        Files.writeString(partial, content);
        return Files.move(partial, inbox.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    private static NotifyBuilder inboxRouteDone(RunningBundle bundle, String name, int times) {
        return new NotifyBuilder(bundle.context()).fromRoute("uplink-file-inbox")
                .filter(Builder.header(Exchange.FILE_NAME).isEqualTo(name)).whenDone(times).create();
    }

    private static JsonNode fileCounts(RunningBundle bundle) {
        return bundle.status().path("inputs").path("file");
    }

    private static List<String> errorDir(Path inbox) throws IOException {
        Path errors = inbox.resolve(".error");
        if (!Files.isDirectory(errors)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(errors)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    /** WARN and ERROR lines about the file or its refusal (not the connection's, which is down on purpose). */
    private List<String> warningsAbout(String name) {
        List<ILoggingEvent> events;
        // logback appends under the appender's lock
        synchronized (logged) {
            events = List.copyOf(logged.list);
        }
        return events.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .map(e -> e.getLoggerName() + " " + e.getFormattedMessage()
                        + (e.getThrowableProxy() == null ? ""
                                : " " + ThrowableProxyUtil.asString(e.getThrowableProxy())))
                .filter(line -> line.contains(name) || line.contains("OutboxFullException")
                        || line.startsWith("org.apache.camel"))
                .toList();
    }

    private static long published(TestBroker broker, String text) {
        return broker.received().stream().filter(p -> p.payloadText().contains(text)).count();
    }

    /**
     * Checks that the file dropped into the inbox waits, untouched and uncounted, read at most {@code reads} times
     * (once, to learn that it does not fit, when the outbox has some room left).
     */
    private void awaitsUntouched(RunningBundle bundle, Path inbox, Path file, byte[] content, int buffered,
            int reads) throws IOException {
        String name = file.getFileName().toString();
        FileTime modified = Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS);
        NotifyBuilder readAgain = inboxRouteDone(bundle, name, reads + 1);
        RunningBundle.await(() -> !warningsAbout(name).isEmpty(), Duration.ofSeconds(20),
                "a line saying that the file waits");

        Awaitility.await("the file to wait untouched").during(SEVERAL_POLLS).atMost(SEVERAL_POLLS.plusSeconds(5))
                .pollInterval(Duration.ofMillis(100)).until(() -> Files.exists(file)
                        && Arrays.equals(content, Files.readAllBytes(file))
                        && modified.equals(Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS))
                        && errorDir(inbox).isEmpty());
        assertFalse(readAgain.matches(), "the file was read again while the outbox had no room for it");
        assertArrayEquals(content, Files.readAllBytes(file));
        assertEquals(List.of(), errorDir(inbox), "nothing set aside while the file waits");
        JsonNode counts = fileCounts(bundle);
        assertEquals(0, counts.path("accepted").asLong(), "nothing accepted while the file waits: " + counts);
        assertEquals(0, counts.path("refused").asLong(), "nothing refused while the file waits: " + counts);
        assertEquals(buffered, bundle.status().get("buffered").asInt(), "none of the file's readings is stored");
        assertEquals(1, bundle.status().path("inbox").path("waiting_for_room").asInt(), "GET /status names it");
        List<String> warnings = warningsAbout(name);
        assertEquals(1, warnings.size(), "one line when the file starts waiting, not one per poll: "
                + String.join("\n", warnings));
    }

    /** Once the file went in: each of its good readings once on the wire, its bad record once in .error/. */
    private void readOnce(RunningBundle bundle, TestBroker back, Path inbox, Path file, List<String> good,
            int buffered) throws IOException {
        String name = file.getFileName().toString();
        for (String reading : good) {
            back.await(p -> p.payloadText().contains(reading), 1, Duration.ofSeconds(60));
        }
        RunningBundle.await(() -> !Files.exists(file), Duration.ofSeconds(20), "the file to leave the inbox");
        RunningBundle.await(() -> bundle.status().get("buffered").asInt() == 0, Duration.ofSeconds(60),
                "the outbox to drain");
        for (String reading : good) {
            assertEquals(1, published(back, reading), reading + " published once");
        }
        assertEquals(buffered + good.size(), back.received().stream()
                .filter(p -> p.topic().equals(TestBroker.PREFIX + "/telemetry")).count(),
                "the posted readings and the file's, once each");
        assertEquals(List.of(name, name + ".reason"), errorDir(inbox), "one copy of the bad record, one reason");
        String reason = Files.readString(inbox.resolve(".error").resolve(name + ".reason"));
        assertTrue(reason.contains("line 2: malformed JSON"), reason);
        assertEquals(0, bundle.status().path("inbox").path("waiting_for_room").asInt());
        JsonNode counts = fileCounts(bundle);
        assertEquals(good.size(), counts.path("accepted").asLong(), counts.toString());
        assertEquals(1, counts.path("refused").asLong(), counts.toString());
    }

    @Test
    void aFileWaitsUntouchedWhileTheOutboxIsFullAndIsReadOnceWhenTheConnectionIsBack() throws IOException {
        TestBroker gone = TestBroker.start(dir.resolve("broker"));
        gone.close();
        Map<String, String> properties = offline(gone, 2);
        Path inbox = Path.of(properties.get("uplink.inbox"));
        try (RunningBundle bundle = RunningBundle.start(properties)) {
            post(bundle, 2);
            String text = "{\"waiting\": 1}\n{\"waiting\": 2\n{\"waiting\": 3}\n";
            Path file = drop(inbox, "waiting.ndjson", text);

            // the outbox is full: the file is not even opened
            awaitsUntouched(bundle, inbox, file, text.getBytes(), 2, 0);

            try (TestBroker back = TestBroker.restart(gone, dir.resolve("broker-2"))) {
                readOnce(bundle, back, inbox, file, List.of("\"waiting\":1", "\"waiting\":3"), 2);
            }
        }
    }

    @Test
    void aFileWithMoreReadingsThanTheRoomLeftWaitsWholeAndIsNotSplit() throws IOException {
        TestBroker gone = TestBroker.start(dir.resolve("broker"));
        gone.close();
        Map<String, String> properties = offline(gone, 4);
        Path inbox = Path.of(properties.get("uplink.inbox"));
        try (RunningBundle bundle = RunningBundle.start(properties)) {
            // room for two more readings; the file holds three good ones
            post(bundle, 2);
            String text = "{\"whole\": 1}\n{\"whole\": 2\n{\"whole\": 3}\n{\"whole\": 4}\n";
            Path file = drop(inbox, "whole.ndjson", text);

            // read once to learn that it does not fit, then left alone
            awaitsUntouched(bundle, inbox, file, text.getBytes(), 2, 1);

            try (TestBroker back = TestBroker.restart(gone, dir.resolve("broker-2"))) {
                readOnce(bundle, back, inbox, file, List.of("\"whole\":1", "\"whole\":3", "\"whole\":4"), 2);
            }
        }
    }
}
