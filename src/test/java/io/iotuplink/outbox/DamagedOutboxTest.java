package io.iotuplink.outbox;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.iotuplink.config.FileMode;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.Reading;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An outbox file that SQLite cannot read, or that is not an outbox, is moved aside at start with what could be read
 * from it salvaged into a new outbox (same message ids, same order), and the outbox opens.
 */
class DamagedOutboxTest {

    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private Path file;

    @BeforeEach
    void listen() {
        file = dir.resolve("outbox.db");
        logged.start();
        ((Logger) LoggerFactory.getLogger(OutboxStore.class)).addAppender(logged);
    }

    @AfterEach
    void stopListening() {
        ((Logger) LoggerFactory.getLogger(OutboxStore.class)).detachAppender(logged);
    }

    private static OutboxStore open(Path file) {
        return OutboxStore.open(file, FileMode.PRIVATE, 100_000, 1L << 30, WhenFull.REJECT);
    }

    /** An outbox holding {@code count} readings of about 500 bytes each (so many pages); their message ids. */
    private List<String> validOutbox(int count) {
        List<PreparedReading> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = "reading-" + i;
            batch.add(new PreparedReading(new Reading(Reading.Kind.TELEMETRY, id, 1_000L + i, null,
                    JsonNodeFactory.instance.objectNode()), ("{\"id\":\"" + id + "\",\"pad\":\"" + "x".repeat(480)
                    + "\"}").getBytes(StandardCharsets.UTF_8), "bombercat/telemetry"));
        }
        try (OutboxStore store = open(file)) {
            store.append(batch);
        }
        return batch.stream().map(r -> r.reading().messageId()).toList();
    }

    private Path aside() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> damaged = files.filter(f -> f.getFileName().toString().matches(
                    "outbox\\.db\\.damaged-\\d{8}T\\d{6}Z")).toList();
            assertEquals(1, damaged.size(), "one damaged file kept: " + damaged);
            return damaged.get(0);
        }
    }

    private String errorLine() {
        List<String> errors = logged.list.stream().filter(e -> e.getLevel() == Level.ERROR)
                .map(ILoggingEvent::getFormattedMessage).toList();
        assertEquals(1, errors.size(), errors.toString());
        return errors.get(0);
    }

    /** Opens the outbox, checks it is a working one, and returns the message ids it holds, oldest first. */
    private List<String> openedAndWorking() {
        try (OutboxStore store = open(file)) {
            List<String> held = store.after(Lane.BULK, 0, 100_000).stream().map(StoredReading::messageId).toList();
            assertEquals(held.size(), store.depth());
            store.append(List.of(new PreparedReading(new Reading(Reading.Kind.EVENT, "new-one", 2_000L, "started",
                    JsonNodeFactory.instance.objectNode()), "{\"event\":\"started\"}".getBytes(StandardCharsets.UTF_8),
                    "bombercat/events")));
            assertEquals(held.size() + 1, store.depth(), "takes new readings");
            return held;
        }
    }

    @Test
    void randomBytesAreMovedAsideAndANewOutboxOpens() throws IOException {
        byte[] garbage = new byte[64 * 1024];
        new Random(18).nextBytes(garbage);
        Files.write(file, garbage);

        assertEquals(List.of(), openedAndWorking());

        Path aside = aside();
        assertArrayEquals(garbage, Files.readAllBytes(aside), "the damaged file is kept as it was");
        String error = errorLine();
        assertTrue(error.contains(aside.toString()) && error.contains("0 reading(s)"), error);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
                "the new outbox is the bundle's only");
    }

    @Test
    void aTruncatedOutboxIsMovedAsideAndItsReadableReadingsGoOutFirstInTheirOrder() throws IOException {
        List<String> ids = validOutbox(300);
        try (RandomAccessFile truncate = new RandomAccessFile(file.toFile(), "rw")) {
            truncate.setLength(truncate.length() / 2);
        }

        List<String> salvaged = openedAndWorking();

        assertTrue(salvaged.size() > 50 && salvaged.size() < 300, salvaged.size() + " salvaged");
        assertEquals(ids.subList(0, salvaged.size()), salvaged, "the oldest, in their order, with their ids");
        aside();
        assertTrue(errorLine().contains(salvaged.size() + " reading(s)"), errorLine());
    }

    @Test
    void anOutboxWithFlippedHeaderBytesIsMovedAside() throws IOException {
        validOutbox(20);
        byte[] bytes = Files.readAllBytes(file);
        for (int i = 0; i < 16; i++) {
            bytes[i] ^= (byte) 0xff;
        }
        Files.write(file, bytes);

        assertEquals(List.of(), openedAndWorking());

        assertArrayEquals(bytes, Files.readAllBytes(aside()));
        assertTrue(errorLine().contains("SQLite cannot read it"), errorLine());
    }

    @Test
    void aDatabaseOfAnotherProgramIsMovedAsideUntouched() throws Exception {
        try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement sql = other.createStatement()) {
            sql.execute("CREATE TABLE readings (id INTEGER PRIMARY KEY, value REAL)");
            sql.execute("INSERT INTO readings (value) VALUES (21.5)");
        }
        byte[] before = Files.readAllBytes(file);

        assertEquals(List.of(), openedAndWorking());

        assertArrayEquals(before, Files.readAllBytes(aside()));
        assertTrue(errorLine().contains("not the outbox's"), errorLine());
    }

    @Test
    void aDamagedPageInTheMiddleCostsOnlyTheReadingsOnIt() throws IOException {
        List<String> ids = validOutbox(300);
        byte[] bytes = Files.readAllBytes(file);
        int pageSize = 4096;
        int middle = bytes.length / pageSize / 2;
        byte[] garbage = new byte[pageSize];
        new Random(18).nextBytes(garbage);
        System.arraycopy(garbage, 0, bytes, middle * pageSize, pageSize);
        Files.write(file, bytes);

        List<String> salvaged = openedAndWorking();

        assertTrue(salvaged.size() >= 280 && salvaged.size() < 300, salvaged.size() + " salvaged");
        assertEquals(ids.get(0), salvaged.get(0));
        assertEquals(ids.get(299), salvaged.get(salvaged.size() - 1), "the newest too");
        assertEquals(ids.stream().filter(salvaged::contains).toList(), salvaged, "in their order");
        assertArrayEquals(bytes, Files.readAllBytes(aside()));
    }

    @Test
    void itsJournalFilesGoAsideWithItAndWhatTheWalHeldIsSalvagedToo() throws IOException {
        Path crashed = Files.createDirectories(dir.resolve("crashed"));
        Path here = file;
        file = crashed.resolve("outbox.db");
        List<String> ids = validOutbox(300);
        // the files as a kill -9 leaves them: the newest reading still in the WAL, copied while the outbox is open
        try (OutboxStore store = open(file)) {
            store.append(List.of(new PreparedReading(new Reading(Reading.Kind.TELEMETRY, "in-the-wal", 1_000L, null,
                    JsonNodeFactory.instance.objectNode()), "{\"id\":1}".getBytes(StandardCharsets.UTF_8),
                    "bombercat/telemetry")));
            for (String name : List.of("outbox.db", "outbox.db-wal", "outbox.db-shm")) {
                Files.copy(crashed.resolve(name), dir.resolve(name));
            }
        }
        file = here;
        byte[] wal = Files.readAllBytes(dir.resolve("outbox.db-wal"));
        assertTrue(wal.length > 0, "the newest reading is in the WAL");
        byte[] bytes = Files.readAllBytes(file);
        byte[] garbage = new byte[4096];
        new Random(18).nextBytes(garbage);
        System.arraycopy(garbage, 0, bytes, bytes.length / 4096 / 2 * 4096, garbage.length);
        Files.write(file, bytes);

        List<String> salvaged = openedAndWorking();

        assertEquals("in-the-wal", salvaged.get(salvaged.size() - 1), "the WAL's reading too, last");
        assertEquals(ids.get(0), salvaged.get(0));
        Path aside = aside();
        assertArrayEquals(wal, Files.readAllBytes(aside.resolveSibling(aside.getFileName() + "-wal")));
        assertTrue(errorLine().contains("with its -wal and -shm"), errorLine());
    }

    @Test
    void aHealthyOutboxIsLeftAsItIs() throws IOException {
        List<String> ids = validOutbox(10);

        assertEquals(ids, openedAndWorking());

        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().contains("damaged")));
        }
        assertTrue(logged.list.stream().noneMatch(e -> e.getLevel() == Level.ERROR));
    }

    @Test
    void theBundleStartsOnADamagedOutboxAndSendsWhatWasSalvaged() throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        file = data.resolve("outbox.db");
        List<String> ids = validOutbox(300);
        try (RandomAccessFile truncate = new RandomAccessFile(file.toFile(), "rw")) {
            truncate.setLength(truncate.length() / 2);
        }
        try (TestBroker broker = TestBroker.start(dir.resolve("broker"));
             RunningBundle bundle = RunningBundle.start(RunningBundle.properties(broker,
                     broker.device("bombercat-damaged", TestBroker.KeyForm.PKCS1), data))) {
            HttpResponse<String> accepted = bundle.http("POST", "/telemetry", "application/json", "{\"after\": 1}");
            assertEquals(202, accepted.statusCode(), accepted.body());
            String newId = RunningBundle.json(accepted.body()).get("message_ids").get(0).asText();

            RunningBundle.await(() -> bundle.status().get("buffered").asInt() == 0, Duration.ofSeconds(30),
                    "the salvaged readings and the new one sent");

            List<String> arrived = broker.received().stream().map(p -> p.userProperties().get("message_id")).toList();
            assertTrue(arrived.contains(newId));
            List<String> salvaged = arrived.stream().filter(ids::contains).toList();
            assertTrue(salvaged.size() > 50, salvaged.size() + " salvaged readings at the broker");
            assertEquals(ids.subList(0, salvaged.size()), salvaged.stream().sorted(
                    (a, b) -> ids.indexOf(a) - ids.indexOf(b)).toList(), "the oldest, with their message ids");
            try (Stream<Path> files = Files.list(data)) {
                assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("outbox.db.damaged-")));
            }
        }
    }
}
