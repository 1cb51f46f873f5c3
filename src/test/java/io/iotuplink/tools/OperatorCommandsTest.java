package io.iotuplink.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.ConfigurationException;
import io.iotuplink.config.ConfigReader;
import io.iotuplink.config.FileMode;
import io.iotuplink.datadir.DataDirLock;
import io.iotuplink.deadletter.DeadLetters;
import io.iotuplink.outbox.Lane;
import io.iotuplink.outbox.OutboxStore;
import io.iotuplink.outbox.OutboxTarget;
import io.iotuplink.outbox.StoredReading;
import io.iotuplink.outbox.WhenFull;
import io.iotuplink.support.SimulatedClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The operator's commands, run in this JVM against a data dir of the test's: exit codes, JSON, NDJSON, the books. */
class OperatorCommandsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-12-08T01:00:00Z");

    @TempDir
    Path dir;
    Path data;
    Map<String, String> properties;
    final SimulatedClock clock = new SimulatedClock(NOW);
    String out;
    String err;

    @BeforeEach
    void configure() {
        data = dir.resolve("data");
        properties = new HashMap<>();
        properties.put("aws.iot.endpoint", "right-ats.iot.eu-west-1.amazonaws.com");
        properties.put("aws.iot.client-id", "bombercat-001");
        properties.put("aws.iot.cert-path", dir.resolve("device.pem.crt").toString());
        properties.put("aws.iot.key-path", dir.resolve("private.pem.key").toString());
        properties.put("aws.iot.ca-path", dir.resolve("ca.pem").toString());
        properties.put("uplink.data-dir", data.toString());
    }

    /** Runs a command line and keeps what it printed. */
    private int run(String... args) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int code = OperatorCommands.run(List.of(args), key -> Optional.ofNullable(properties.get(key)), clock,
                new PrintStream(stdout, true, StandardCharsets.UTF_8), new PrintStream(stderr, true,
                        StandardCharsets.UTF_8));
        out = stdout.toString(StandardCharsets.UTF_8);
        err = stderr.toString(StandardCharsets.UTF_8);
        return code;
    }

    private OutboxTarget.Target target() {
        return OutboxTarget.Target.of(ConfigReader.read(key -> Optional.ofNullable(properties.get(key)), false)
                .orThrow());
    }

    /** An outbox bound as the bundle binds it, holding these readings (written with plain SQL, as the bundle's). */
    private void outboxWith(StoredReading... readings) throws SQLException {
        Path file = data.resolve("outbox.db");
        OutboxTarget.open(file, target(), f -> OutboxStore.open(f, FileMode.PRIVATE, 1000, 1 << 20,
                WhenFull.REJECT)).close();
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
             PreparedStatement insert = db.prepareStatement("INSERT INTO readings (message_id, kind, topic,"
                     + " accepted_at, envelope, lane, expires_at) VALUES (?, ?, ?, ?, ?, ?, 0)")) {
            db.setAutoCommit(false);
            for (StoredReading r : readings) {
                insert.setString(1, r.messageId());
                insert.setString(2, r.kind());
                insert.setString(3, r.topic());
                insert.setLong(4, r.acceptedAtMillis());
                insert.setBytes(5, r.envelope());
                insert.setInt(6, r.lane().ordinal());
                insert.executeUpdate();
            }
            db.commit();
        }
    }

    private static StoredReading reading(String id, Lane lane, Instant accepted) {
        String kind = lane == Lane.PRIORITY ? "event" : "telemetry";
        byte[] envelope = ("{\"timestamp\":" + accepted.getEpochSecond() + ",\"device_id\":\"bombercat-001\","
                + (lane == Lane.PRIORITY ? "\"event\":\"" + id + "\",\"metadata\":{}" : "\"data\":{\"id\":\"" + id
                + "\"}") + "}").getBytes(StandardCharsets.UTF_8);
        return new StoredReading(0, id, kind, "bombercat/" + (kind.equals("event") ? "events" : "telemetry"),
                accepted.toEpochMilli(), envelope, lane, 0);
    }

    private List<String> held() throws SQLException {
        List<String> ids = new ArrayList<>();
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("outbox.db"));
             Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT message_id FROM readings ORDER BY seq")) {
            while (r.next()) {
                ids.add(r.getString(1));
            }
        }
        return ids;
    }

    private long book(String name) throws SQLException {
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("outbox.db"));
             PreparedStatement s = db.prepareStatement("SELECT readings FROM books WHERE name = ?")) {
            s.setString(1, name);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? r.getLong(1) : 0;
            }
        }
    }

    private List<JsonNode> lines() throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                lines.add(JSON.readTree(line));
            }
        }
        return lines;
    }

    @Test
    void statusCountsEachLaneAndKindAndShowsTheOldestTheNewestTheTargetAndTheBooks() throws Exception {
        StoredReading t1 = reading("t1", Lane.BULK, NOW.minusSeconds(300));
        StoredReading t2 = reading("t2", Lane.BULK, NOW.minusSeconds(60));
        StoredReading e1 = reading("e1", Lane.PRIORITY, NOW.minusSeconds(120));
        outboxWith(t1, t2, e1);

        assertEquals(0, run("outbox", "status"), err);
        JsonNode status = JSON.readTree(out);
        assertEquals(3, status.get("readings").asLong());
        assertEquals(t1.envelope().length + t2.envelope().length + e1.envelope().length, status.get("bytes").asLong());
        assertEquals(2, status.at("/lanes/bulk/telemetry/readings").asLong());
        assertEquals(t1.envelope().length + t2.envelope().length, status.at("/lanes/bulk/telemetry/bytes").asLong());
        assertEquals(1, status.at("/lanes/priority/event/readings").asLong());
        assertEquals(NOW.minusSeconds(300).toString(), status.get("oldest_accepted").asText());
        assertEquals(NOW.minusSeconds(60).toString(), status.get("newest_accepted").asText());
        assertEquals("right-ats.iot.eu-west-1.amazonaws.com:8883 bombercat-001", status.get("target").asText());
        for (String book : List.of("accepted", "published", "dead_lettered", "expired", "dropped")) {
            assertTrue(status.get("books").has(book), book);
        }
        assertEquals(0, status.at("/dead_letters/readings").asLong());
    }

    @Test
    void listPrintsTheWaitingReadingsInTheirOrderOneJsonObjectALine() throws Exception {
        outboxWith(reading("t1", Lane.BULK, NOW.minusSeconds(3)), reading("e1", Lane.PRIORITY, NOW.minusSeconds(2)),
                reading("t2", Lane.BULK, NOW.minusSeconds(1)));

        assertEquals(0, run("outbox", "list"), err);
        List<JsonNode> all = lines();
        assertEquals(List.of("e1", "t1", "t2"), all.stream().map(l -> l.get("message_id").asText()).toList());
        JsonNode first = all.get(1);
        assertEquals("bombercat/telemetry", first.get("topic").asText());
        assertEquals("bulk", first.get("lane").asText());
        assertEquals(NOW.minusSeconds(3).toString(), first.get("accepted_at").asText());
        assertEquals("t1", first.at("/envelope/data/id").asText());

        assertEquals(0, run("outbox", "list", "--lane", "bulk", "--limit", "1"), err);
        assertEquals(List.of("t1"), lines().stream().map(l -> l.get("message_id").asText()).toList());

        assertEquals(2, run("outbox", "list", "--lane", "fast"));
        assertTrue(err.startsWith("iot-uplink: --lane fast: write priority or bulk"), err);
    }

    @Test
    void dropAsksForYesThenRemovesInChunksAndCountsThemDropped() throws Exception {
        List<StoredReading> old = new ArrayList<>();
        for (int n = 0; n < OutboxDrop.CHUNK + 5; n++) {
            old.add(reading("old-" + n, Lane.BULK, NOW.minus(Duration.ofDays(3))));
        }
        old.add(reading("old-event", Lane.PRIORITY, NOW.minus(Duration.ofDays(3))));
        old.add(reading("fresh", Lane.BULK, NOW.minus(Duration.ofHours(1))));
        outboxWith(old.toArray(StoredReading[]::new));

        assertEquals(1, run("outbox", "drop", "--older-than", "2d", "--lane", "bulk"));
        assertEquals(OutboxDrop.CHUNK + 5, JSON.readTree(out).get("would_drop").asLong());
        assertEquals(OutboxDrop.CHUNK + 7, held().size(), "nothing without --yes");

        assertEquals(0, run("outbox", "drop", "--older-than", "2d", "--lane", "bulk", "--yes"), err);
        assertEquals(OutboxDrop.CHUNK + 5, JSON.readTree(out).get("dropped").asLong());
        assertEquals(List.of("old-event", "fresh"), held());
        assertEquals(OutboxDrop.CHUNK + 5, book("dropped"));

        assertEquals(2, run("outbox", "drop", "--yes"), "what to drop must be said");
        assertEquals(0, run("outbox", "drop", "--all", "--yes"), err);
        assertEquals(List.of(), held());
        assertEquals(OutboxDrop.CHUNK + 7, book("dropped"));
    }

    @Test
    void anEndpointTypoIsMendedByRetargetAndTheCorrectedStartKeepsTheReadings() throws Exception {
        properties.put("aws.iot.endpoint", "rihgt-ats.iot.eu-west-1.amazonaws.com");
        outboxWith(reading("t1", Lane.BULK, NOW), reading("t2", Lane.BULK, NOW));
        properties.put("aws.iot.endpoint", "right-ats.iot.eu-west-1.amazonaws.com");
        OutboxTarget.Target corrected = target();
        Path file = data.resolve("outbox.db");
        ConfigurationException refused = assertThrows(ConfigurationException.class, () -> OutboxTarget.open(file,
                corrected, f -> OutboxStore.open(f, 1000, 1 << 20, WhenFull.REJECT)));
        assertTrue(refused.getMessage().contains("rihgt-ats"), refused.getMessage());

        assertEquals(1, run("outbox", "retarget"));
        JsonNode plan = JSON.readTree(out);
        assertEquals("rihgt-ats.iot.eu-west-1.amazonaws.com:8883 bombercat-001", plan.get("from").asText());
        assertEquals("right-ats.iot.eu-west-1.amazonaws.com:8883 bombercat-001", plan.get("to").asText());
        assertEquals(2, plan.get("readings").asLong());
        assertTrue(err.contains("--yes"), err);

        assertEquals(0, run("outbox", "retarget", "--yes"), err);
        assertTrue(JSON.readTree(out).get("moved").asBoolean());
        try (OutboxStore store = OutboxTarget.open(file, corrected, f -> OutboxStore.open(f, 1000, 1 << 20,
                WhenFull.REJECT))) {
            assertEquals(2, store.depth(), "the corrected start keeps them");
        }
        assertEquals(List.of("t1", "t2"), held());
        assertEquals(0, run("outbox", "retarget"), "bound already: nothing to do");
    }

    @Test
    void replayPutsDeadLettersBackAsTheyWereAcceptedCountsThemAndRemovesTheirFiles() throws Exception {
        outboxWith(reading("waiting", Lane.BULK, NOW));
        DeadLetters letters = new DeadLetters(data.resolve("dead-letter"), FileMode.PRIVATE, 100, 1 << 20,
                System::nanoTime);
        StoredReading refusedEvent = reading("refused-event", Lane.PRIORITY, NOW.minusSeconds(600));
        StoredReading refusedTelemetry = reading("refused-t", Lane.BULK, NOW.minusSeconds(500));
        letters.write(List.of(refusedEvent, refusedTelemetry), "0x87", "PUBACK 0x87 not authorized", 1, null, NOW);

        assertEquals(0, run("dead-letter", "list"), err);
        List<JsonNode> listed = lines();
        assertEquals(List.of("refused-event", "refused-t"),
                listed.stream().map(l -> l.get("message_id").asText()).toList());
        assertEquals("0x87", listed.get(0).get("reason_code").asText());

        assertEquals(1, run("dead-letter", "replay", "refused-event", "no-such-id"));
        assertTrue(err.contains("no-such-id: no such dead letter"), err);
        assertEquals(0, run("dead-letter", "replay", "--all"), err);
        assertEquals(1, JSON.readTree(out).get("replayed").asLong());

        assertEquals(List.of("waiting", "refused-event", "refused-t"), held());
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("outbox.db"));
             Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT topic, lane, accepted_at, envelope FROM readings"
                     + " WHERE message_id = 'refused-event'")) {
            assertEquals(refusedEvent.topic(), r.getString(1));
            assertEquals(Lane.PRIORITY.ordinal(), r.getInt(2));
            assertEquals(refusedEvent.acceptedAtMillis(), r.getLong(3));
            assertEquals(new String(refusedEvent.envelope(), StandardCharsets.UTF_8),
                    new String(r.getBytes(4), StandardCharsets.UTF_8));
        }
        assertEquals(2, book("accepted"));
        assertEquals(List.of(), Files.list(data.resolve("dead-letter")).toList());
    }

    @Test
    void whileTheDataDirIsHeldEveryCommandExitsTwoNamingTheHolder() throws Exception {
        outboxWith();
        try (DataDirLock bundle = DataDirLock.take(data, "UPLINK_DATA_DIR=" + data, "bundle")) {
            assertEquals(2, run("outbox", "drop", "--all", "--yes"));
            assertTrue(err.startsWith("iot-uplink outbox drop: UPLINK_DATA_DIR=" + data + ": in use by iot-uplink PID "
                    + ProcessHandle.current().pid() + " (bundle, started "), err);
            assertEquals(1, err.lines().count(), err);
        }
        assertEquals(0, run("outbox", "status"), err);
    }

    @Test
    void anUnknownCommandOrOptionExitsTwoWithTheUsage() {
        assertEquals(2, run("outbox", "lst"));
        assertTrue(err.startsWith("iot-uplink: unknown command 'outbox lst'"), err);
        assertTrue(err.contains("outbox retarget"), err);
        assertEquals(2, run("outbox", "status", "--lcoal"));
        assertTrue(err.startsWith("iot-uplink: unknown option --lcoal"), err);
        assertFalse(Files.exists(data.resolve("outbox.db")));
        properties.remove("aws.iot.endpoint");
        assertEquals(2, run("outbox", "status"));
        assertTrue(err.startsWith("iot-uplink outbox status: AWS_IOT_ENDPOINT is not set"), err);
    }
}
