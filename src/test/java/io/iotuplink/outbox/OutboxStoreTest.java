package io.iotuplink.outbox;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The outbox's SQLite file as a user's gateway has it, made by this version or an earlier one. */
class OutboxStoreTest {

    @TempDir
    Path dir;

    @Test
    void anOutboxOfTheEarlierVersionKeepsItsReadingsInOrderWithoutTheMessageIdIndex() throws SQLException {
        Path file = dir.resolve("outbox.db");
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = db.createStatement()) {
            // the schema up to this version
            s.execute("CREATE TABLE readings (seq INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL UNIQUE,"
                    + " kind TEXT NOT NULL, topic TEXT NOT NULL, accepted_at INTEGER NOT NULL,"
                    + " envelope BLOB NOT NULL)");
            try (PreparedStatement insert = db.prepareStatement("INSERT INTO readings"
                    + " (message_id, kind, topic, accepted_at, envelope) VALUES (?, 'telemetry', 't', ?, ?)")) {
                for (int i = 1; i <= 3; i++) {
                    insert.setString(1, "id-" + i);
                    insert.setLong(2, 1_000L * i);
                    insert.setBytes(3, ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8));
                    insert.executeUpdate();
                }
            }
            s.execute("DELETE FROM readings WHERE seq = 1");
        }

        try (OutboxStore outbox = OutboxStore.open(file, 100, 1 << 20, WhenFull.REJECT)) {
            assertEquals(2, outbox.depth());
            List<StoredReading> kept = outbox.after(0, 10);
            assertEquals(List.of(2L, 3L), kept.stream().map(StoredReading::seq).toList());
            assertEquals(List.of("id-2", "id-3"), kept.stream().map(StoredReading::messageId).toList());
            assertEquals("{\"n\":3}", new String(kept.get(1).envelope(), StandardCharsets.UTF_8));
        }
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = db.createStatement()) {
            try (ResultSet indexes = s.executeQuery("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index'")) {
                assertEquals(0, indexes.getLong(1));
            }
            // AUTOINCREMENT carried over: a new reading never takes a seq that was handed out before
            s.execute("DELETE FROM readings WHERE seq = 3");
            s.execute("INSERT INTO readings (message_id, kind, topic, accepted_at, envelope)"
                    + " VALUES ('id-4', 'telemetry', 't', 4000, x'00')");
            try (ResultSet seq = s.executeQuery("SELECT MAX(seq) FROM readings")) {
                assertEquals(4, seq.getLong(1));
            }
        }
    }
}
