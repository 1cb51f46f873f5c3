package io.iotuplink.inputs;

import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.TestBroker;
import org.apache.camel.Exchange;
import org.apache.camel.builder.Builder;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Files dropped into the inbox, written the atomic way (another name, then a rename). */
class FileInboxTest {

    /** Long enough that the growing file's writer never pauses that long between chunks, even on a busy machine. */
    static final String SETTLE_TIME = "1s";

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(p -> p.put("uplink.inbox.settle-time", SETTLE_TIME));
    static TestBroker broker;
    static Path inbox;

    @BeforeAll
    static void fixtures() {
        broker = uplink.broker();
        inbox = uplink.dataDir().resolveSibling("data-inbox");
    }

    private static Path drop(String name, String content) throws IOException {
        Files.createDirectories(inbox);
        Path partial = inbox.resolve("." + name + ".part");
        Files.writeString(partial, content);
        return Files.move(partial, inbox.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    /** Notices when the inbox route is done with the file {@code name}; create it before dropping the file. */
    private static NotifyBuilder finishing(String name) {
        return new NotifyBuilder(uplink.bundle().context()).fromRoute("uplink-file-inbox")
                .filter(Builder.header(Exchange.FILE_NAME).isEqualTo(name)).whenDone(1).create();
    }

    private static void awaitDone(NotifyBuilder file) {
        assertTrue(file.matches(20, TimeUnit.SECONDS), "the inbox route did not finish the file");
    }

    @Test
    void aJsonFileWithOneRecordIsPublishedAndRemoved() throws IOException {
        NotifyBuilder done = finishing("one.json");
        Path file = drop("one.json", "{\"temperature\": 19.5, \"file\": \"one\"}");

        broker.await(p -> p.payloadText().endsWith("\"data\":{\"temperature\":19.5,\"file\":\"one\"}}"), 1,
                Duration.ofSeconds(20));
        awaitDone(done);
        assertFalse(Files.exists(file));
        assertFalse(Files.exists(inbox.resolve(".error").resolve("one.json")));
    }

    @Test
    void aJsonArrayIsOneReadingPerRecordEventsIncluded() throws IOException {
        drop("array.json", "[{\"file\": \"array-a\"}, {\"event\": \"door_open\", \"metadata\": {\"file\": \"array-b\"}}]");

        assertEquals("bombercat/telemetry", broker.await(p -> p.payloadText().contains("array-a"), 1,
                Duration.ofSeconds(20)).get(0).topic());
        String event = broker.await(p -> p.payloadText().contains("array-b"), 1, Duration.ofSeconds(20)).get(0)
                .payloadText();
        assertTrue(event.contains("\"event\":\"door_open\",\"metadata\":{\"file\":\"array-b\"}"), event);
    }

    @Test
    void anEventFileIsPublishedOnTheEventsTopic() throws IOException {
        drop("alert.json", "{\"event\": \"temperature_alert\", \"metadata\": {\"severity\": \"warning\", \"f\": 1}}");

        assertEquals("bombercat/events", broker.await(p -> p.payloadText().contains("\"f\":1"), 1,
                Duration.ofSeconds(20)).get(0).topic());
    }

    @Test
    void anNdjsonBadLineIsSetAsideWithItsLineNumberAndTheGoodLinesGoOut() throws IOException {
        NotifyBuilder done = finishing("lines.ndjson");
        Path file = drop("lines.ndjson", "{\"nd\": 1}\r\n{\"nd\": 2\n\n{\"nd\": 3}\n[1, 2]\n");

        broker.await(p -> p.payloadText().contains("\"nd\":1"), 1, Duration.ofSeconds(20));
        broker.await(p -> p.payloadText().contains("\"nd\":3"), 1, Duration.ofSeconds(20));
        awaitDone(done);
        assertFalse(Files.exists(file));
        Path errors = inbox.resolve(".error");
        assertEquals("{\"nd\": 2\n[1, 2]\n", Files.readString(errors.resolve("lines.ndjson")));
        String reason = Files.readString(errors.resolve("lines.ndjson.reason"));
        assertTrue(reason.contains("line 2: malformed JSON"), reason);
        assertTrue(reason.contains("line 5: not a JSON object"), reason);
        assertTrue(broker.received().stream().noneMatch(p -> p.payloadText().contains("\"nd\":2")));
    }

    @Test
    void aMalformedFileIsMovedWholeToErrorWithTheReason() throws IOException {
        NotifyBuilder done = finishing("broken.json");
        Path file = drop("broken.json", "{\"temperature\": ");

        awaitDone(done);
        assertFalse(Files.exists(file));
        Path kept = inbox.resolve(".error").resolve("broken.json");
        assertEquals("{\"temperature\": ", Files.readString(kept));
        String reason = Files.readString(kept.resolveSibling("broken.json.reason"));
        assertTrue(reason.contains("the whole file is kept here"), reason);
        assertTrue(reason.contains("the file: malformed JSON"), reason);
    }

    @Test
    void filesStillBeingWrittenUnderAnotherNameAreLeftAlone() throws IOException {
        Files.createDirectories(inbox);
        Path partial = Files.writeString(inbox.resolve("later.json.tmp"), "{\"partial\": tr");
        drop("marker.json", "{\"marker\": \"after-partial\"}");

        broker.await(p -> p.payloadText().contains("after-partial"), 1, Duration.ofSeconds(20));
        assertTrue(Files.exists(partial), "a .tmp file is not an inbox file");
        assertFalse(Files.exists(inbox.resolve(".error").resolve("later.json.tmp")));
    }

    @Test
    void aFileWrittenInPlaceOverSecondsIsReadOnceItStopsGrowingWithEveryLine() throws Exception {
        Files.createDirectories(inbox);
        Path file = inbox.resolve("growing.ndjson");
        int lines = 300;
        NotifyBuilder done = finishing("growing.ndjson");
        try (OutputStream out = Files.newOutputStream(file)) {
            // 300 lines in chunks of 10 every 100 ms: 3 s of writing, no rename, a pause far below the settle time
            for (int i = 0; i < lines; i++) {
                out.write(("{\"growing\": " + i + "}\n").getBytes(StandardCharsets.UTF_8));
                if (i % 10 == 9) {
                    out.flush();
                    TestBroker.sleep(100);
                }
            }
        }

        List<String> published = broker.await(p -> p.payloadText().contains("\"growing\":"), lines,
                Duration.ofSeconds(60)).stream().map(p -> p.payloadText()).toList();
        awaitDone(done);
        Set<String> data = new HashSet<>();
        published.forEach(p -> data.add(p.substring(p.indexOf(",\"data\":"))));
        for (int i = 0; i < lines; i++) {
            assertTrue(data.contains(",\"data\":{\"growing\":" + i + "}}"), "line " + (i + 1) + " was lost");
        }
        assertEquals(lines, published.size(), "each line once");
        assertFalse(Files.exists(file));
        assertFalse(Files.exists(inbox.resolve(".error").resolve("growing.ndjson")));
    }
}
