package io.iotuplink.outbox;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.iotuplink.ConfigurationException;
import io.iotuplink.config.FileMode;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.Reading;
import io.iotuplink.outbox.OutboxTarget.Target;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An outbox records whom its readings were accepted for, and never opens for another broker or client id. */
class OutboxTargetTest {

    private static final Target A = new Target("abc-ats.iot.eu-west-1.amazonaws.com:8883", "bombercat-001");
    private static final Target OTHER_ID = new Target("abc-ats.iot.eu-west-1.amazonaws.com:8883", "bombercat-002");
    private static final Target OTHER_ENDPOINT = new Target("xyz-ats.iot.us-east-1.amazonaws.com:8883",
            "bombercat-001");

    @TempDir
    Path dir;

    private Path file;
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeEach
    void listen() {
        file = dir.resolve("outbox.db");
        logged.start();
        ((Logger) LoggerFactory.getLogger(OutboxTarget.class)).addAppender(logged);
    }

    @AfterEach
    void stopListening() {
        ((Logger) LoggerFactory.getLogger(OutboxTarget.class)).detachAppender(logged);
    }

    private static OutboxStore store(Path file) {
        return OutboxStore.open(file, FileMode.PRIVATE, 100_000, 1L << 30, WhenFull.REJECT);
    }

    private OutboxStore open(Target target) {
        return OutboxTarget.open(file, target, OutboxTargetTest::store);
    }

    /** {@code count} readings of about 500 bytes (so many pages); their message ids. */
    private static List<PreparedReading> readings(int count) {
        List<PreparedReading> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = "reading-" + i;
            batch.add(new PreparedReading(new Reading(Reading.Kind.TELEMETRY, id, 1_000L + i, null,
                    JsonNodeFactory.instance.objectNode()), ("{\"id\":\"" + id + "\",\"pad\":\"" + "x".repeat(480)
                    + "\"}").getBytes(StandardCharsets.UTF_8), "bombercat/telemetry"));
        }
        return batch;
    }

    /** An outbox bound to {@code target} holding {@code count} readings, closed. */
    private void leftWaiting(Target target, int count) {
        try (OutboxStore store = open(target)) {
            if (count > 0) {
                store.append(readings(count));
            }
        }
    }

    private List<String> heldIds() {
        try (OutboxStore store = store(file)) {
            return store.after(Lane.BULK, 0, 100_000).stream().map(StoredReading::messageId).toList();
        }
    }

    private String recordedTarget() throws SQLException {
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT endpoint || ' ' || client_id, COUNT(*) FROM target")) {
            assertEquals(1, r.getInt(2), "one target row");
            return r.getString(1);
        }
    }

    private List<String> infos() {
        return logged.list.stream().filter(e -> e.getLevel() == Level.INFO).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    @Test
    void aNewOutboxIsBoundToTheTargetItOpensFor() throws SQLException {
        leftWaiting(A, 0);

        assertEquals("abc-ats.iot.eu-west-1.amazonaws.com:8883 bombercat-001", recordedTarget());
        assertEquals(List.of(), infos(), "nothing to say about a new outbox");
    }

    @Test
    void theSameTargetFindsItsReadingsAndNoDamage() throws IOException {
        leftWaiting(A, 3);

        try (OutboxStore store = open(A)) {
            assertEquals(3, store.depth());
        }

        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().contains("damaged")),
                    "the target table does not make it look like another program's database");
        }
    }

    @Test
    void readingsForAnotherClientIdStopTheStartAndTheFileIsLeftAsItWas() throws IOException {
        leftWaiting(A, 3);
        byte[] before = Files.readAllBytes(file);
        AtomicBoolean opened = new AtomicBoolean();

        ConfigurationException refused = assertThrows(ConfigurationException.class,
                () -> OutboxTarget.open(file, OTHER_ID, f -> {
                    opened.set(true);
                    return store(f);
                }));

        assertEquals(1, refused.problems().size());
        String line = refused.problems().get(0);
        assertFalse(line.contains("\n"), line);
        assertTrue(line.startsWith(file + ": holds 3 reading(s) accepted for"
                + " abc-ats.iot.eu-west-1.amazonaws.com:8883 as client id 'bombercat-001', but this start publishes"
                + " to abc-ats.iot.eu-west-1.amazonaws.com:8883 as client id 'bombercat-002'"), line);
        assertTrue(line.contains("To send them, start with AWS_IOT_ENDPOINT=abc-ats.iot.eu-west-1.amazonaws.com:8883"
                + " and AWS_IOT_CLIENT_ID=bombercat-001"), line);
        assertTrue(line.matches(".*move the outbox aside first: mkdir (\\S+) && mv " + file + "( " + file
                + "-(wal|shm))* \\1/ .*"), "the database with its journal files, into one directory: " + line);
        assertFalse(opened.get(), "the store never opened it");
        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(List.of("reading-0", "reading-1", "reading-2"), heldIds());
    }

    @Test
    void readingsStillInTheWalOfAKilledRunAreCountedAndMovedWithIt() throws IOException {
        Path killed = Files.createDirectories(dir.resolve("killed"));
        Path here = file;
        file = killed.resolve("outbox.db");
        // the files as a kill -9 leaves them: copied while the outbox is open, the readings in the WAL
        try (OutboxStore store = open(A)) {
            store.append(readings(5));
            for (String name : List.of("outbox.db", "outbox.db-wal", "outbox.db-shm")) {
                Files.copy(killed.resolve(name), dir.resolve(name));
            }
        }
        file = here;
        assertTrue(Files.size(dir.resolve("outbox.db-wal")) > 0, "the readings are in the WAL");

        String line = assertThrows(ConfigurationException.class, () -> open(OTHER_ID)).getMessage();

        assertTrue(line.contains(": holds 5 reading(s) accepted for"), line);
        assertTrue(line.contains("&& mv " + file + " " + file + "-wal " + file + "-shm "), line);
        assertEquals(5, heldIds().size());
    }

    @Test
    void readingsForAnotherEndpointStopTheStartToo() {
        leftWaiting(A, 1);

        ConfigurationException refused = assertThrows(ConfigurationException.class, () -> open(OTHER_ENDPOINT));

        assertTrue(refused.getMessage().contains("but this start publishes to xyz-ats.iot.us-east-1.amazonaws.com:8883"
                + " as client id 'bombercat-001'"), refused.getMessage());
        assertEquals(1, heldIds().size());
    }

    @Test
    void theMoveTheLineSaysKeepsTheReadingsTogetherAndFreesTheDataDir() throws Exception {
        leftWaiting(A, 2);
        String line = assertThrows(ConfigurationException.class, () -> open(OTHER_ID)).getMessage();
        String command = line.replaceFirst(".*move the outbox aside first: (mkdir .*/) \\(.*", "$1");

        Process shell = new ProcessBuilder("bash", "-c", command).inheritIO().start();
        assertEquals(0, shell.waitFor(), command);

        try (OutboxStore store = open(OTHER_ID)) {
            assertEquals(0, store.depth(), "a new outbox for the new client id");
        }
        Path aside = Path.of(command.replaceFirst("mkdir (\\S+) &&.*", "$1"));
        try (OutboxStore kept = store(aside.resolve("outbox.db"))) {
            assertEquals(2, kept.depth(), "the readings moved aside are still an outbox");
        }
    }

    @Test
    void anEmptyOutboxFollowsANewTarget() throws SQLException {
        leftWaiting(A, 0);

        open(OTHER_ENDPOINT).close();

        assertEquals("xyz-ats.iot.us-east-1.amazonaws.com:8883 bombercat-001", recordedTarget());
        assertEquals(List.of("Outbox " + file + " was bound to abc-ats.iot.eu-west-1.amazonaws.com:8883 as client id"
                + " 'bombercat-001'; it is empty, so it is bound to xyz-ats.iot.us-east-1.amazonaws.com:8883 as"
                + " client id 'bombercat-001' now"), infos());
    }

    @Test
    void anOutboxOfAnEarlierVersionIsAdoptedWithItsReadings() throws SQLException {
        try (OutboxStore earlier = store(file)) {
            earlier.append(readings(4));
        }

        try (OutboxStore store = open(A)) {
            assertEquals(4, store.depth());
        }

        assertEquals(A.toString(), recordedTarget());
        assertEquals(1, infos().size(), infos().toString());
        assertTrue(infos().get(0).contains("holds 4 reading(s) from a version that did not record their broker"),
                infos().toString());
    }

    @Test
    void port443AndPort8883OfOneHostAreOneBroker() throws SQLException {
        leftWaiting(A, 2);
        Target alpn = new Target("ABC-ats.iot.eu-west-1.amazonaws.com:443", "bombercat-001");

        try (OutboxStore store = open(alpn)) {
            assertEquals(2, store.depth());
        }

        assertEquals(alpn.toString(), recordedTarget());
        assertThrows(ConfigurationException.class,
                () -> open(new Target("abc-ats.iot.eu-west-1.amazonaws.com:1883", "bombercat-001")));
    }

    @Test
    void aSalvagedOutboxKeepsItsTarget() throws IOException, SQLException {
        leftWaiting(A, 300);
        long indexPage;
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT rootpage FROM sqlite_master WHERE name = 'readings_by_lane'")) {
            indexPage = r.getLong(1);
        }
        // the lane index: its readings cannot even be counted before the store opens the file and sets it aside
        int pageSize = 4096;
        byte[] garbage = new byte[pageSize];
        new Random(19).nextBytes(garbage);
        try (RandomAccessFile damage = new RandomAccessFile(file.toFile(), "rw")) {
            damage.seek((indexPage - 1) * pageSize);
            damage.write(garbage);
        }

        ConfigurationException refused = assertThrows(ConfigurationException.class, () -> open(OTHER_ID));

        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("outbox.db.damaged-")),
                    "it was set aside and salvaged");
        }
        assertTrue(refused.getMessage().contains("reading(s) accepted for abc-ats.iot.eu-west-1.amazonaws.com:8883"
                + " as client id 'bombercat-001'"), refused.getMessage());
        assertEquals(A.toString(), recordedTarget(), "the new outbox keeps the damaged one's target");
        try (OutboxStore store = open(A)) {
            assertEquals(300, store.depth(), "every reading salvaged (only the index was damaged), for its target");
        }
    }
}
