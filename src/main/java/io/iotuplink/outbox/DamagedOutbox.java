package io.iotuplink.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.envelope.Reading;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * An outbox file found unusable at start (not a database, damaged, or another program's tables): what is wrong with
 * it, moving it aside ({@code outbox.db.damaged-<time>} with its {@code -wal} and {@code -shm}, so {@code sqlite3}
 * still reads the two together), and the readings that can still be read from it.
 */
final class DamagedOutbox {

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    /** The readings table's columns, in order, in an outbox made before lanes: a table with others is not an outbox. */
    static final List<String> COLUMNS = List.of("seq", "message_id", "kind", "topic", "accepted_at", "envelope");
    /** The columns of an outbox with lanes: the earlier ones, then its lane and expiry. */
    static final List<String> LANE_COLUMNS = List.of("seq", "message_id", "kind", "topic", "accepted_at", "envelope",
            "lane", "expires_at");
    private static final List<String> SIDE_FILES = List.of("-wal", "-shm", "-journal");
    private static final Set<String> KINDS = Set.of(Reading.Kind.TELEMETRY.label(), Reading.Kind.EVENT.label());
    private static final ObjectMapper JSON = new ObjectMapper();

    private DamagedOutbox() {
    }

    /**
     * Why {@code file} cannot serve as the outbox, or null when it can (or is not there, or is empty: a new outbox).
     *
     * @throws SQLException when SQLite cannot tell (the file is locked by another process, an I/O error...): that
     *                      is no reason to set it aside
     */
    static String problem(Path file) throws SQLException {
        try {
            if (!Files.isRegularFile(file) || Files.size(file) == 0) {
                return null;
            }
        } catch (IOException e) {
            return null; // opening it says what is wrong
        }
        // read-only: closing it must not checkpoint the WAL into a damaged file (the old files are kept as found)
        SQLiteConfig readOnly = new SQLiteConfig();
        readOnly.setReadOnly(true);
        try (Connection db = readOnly.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
             Statement s = db.createStatement()) {
            Set<String> tables = new LinkedHashSet<>();
            try (ResultSet r = s.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table'")) {
                while (r.next()) {
                    tables.add(r.getString(1));
                }
            }
            if (tables.isEmpty()) {
                return null;
            }
            if (!tables.contains("readings")) {
                return "it is an SQLite database with other tables than the outbox's " + tables;
            }
            List<String> columns = columns(db);
            if (!columns.equals(COLUMNS) && !columns.equals(LANE_COLUMNS)) {
                return "its readings table is not the outbox's (columns " + columns + ", expected " + LANE_COLUMNS
                        + ")";
            }
            List<String> findings = new ArrayList<>();
            try (ResultSet r = s.executeQuery("PRAGMA quick_check(3)")) {
                while (r.next()) {
                    findings.add(r.getString(1));
                }
            }
            if (!findings.equals(List.of("ok"))) {
                return "SQLite finds it damaged: " + String.join("; ", findings);
            }
            return null;
        } catch (SQLException e) {
            if (isDamage(e)) {
                return "SQLite cannot read it: " + e.getMessage();
            }
            throw e;
        }
    }

    static List<String> columns(Connection db) throws SQLException {
        List<String> columns = new ArrayList<>();
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("PRAGMA table_info(readings)")) {
            while (r.next()) {
                columns.add(r.getString("name"));
            }
        }
        return columns;
    }

    /** SQLITE_CORRUPT or SQLITE_NOTADB: the file's content, not the circumstances, is what is wrong. */
    static boolean isDamage(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLiteException s) {
                int primary = s.getResultCode().code & 0xff;
                if (primary == SQLiteErrorCode.SQLITE_CORRUPT.code || primary == SQLiteErrorCode.SQLITE_NOTADB.code) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Moves {@code file} and its journal files aside, returning the new name of {@code file}. */
    static Path moveAside(Path file, Clock clock) throws IOException {
        String base = file.getFileName() + ".damaged-" + STAMP.format(clock.instant());
        Path aside = file.resolveSibling(base);
        for (int n = 2; Files.exists(aside); n++) {
            aside = file.resolveSibling(base + "-" + n);
        }
        Files.move(file, aside);
        for (String suffix : SIDE_FILES) {
            Path side = file.resolveSibling(file.getFileName() + suffix);
            if (Files.exists(side)) {
                Files.move(side, aside.resolveSibling(aside.getFileName() + suffix));
            }
        }
        return aside;
    }

    /** What could be read from a damaged outbox, and what could not. */
    record Salvage(List<StoredReading> readings, int skipped, String stoppedBy) {
    }

    /**
     * Every reading that can still be read from {@code aside}, oldest first: read from the oldest on until the
     * damage, then from the newest back to it; rows whose values are not a reading's (an envelope that is not a JSON
     * object...) are skipped.
     */
    static Salvage salvage(Path aside) {
        TreeMap<Long, StoredReading> found = new TreeMap<>();
        int[] skipped = {0};
        String stoppedBy = null;
        SQLiteConfig readOnly = new SQLiteConfig();
        readOnly.setReadOnly(true);
        try (Connection old = readOnly.createConnection("jdbc:sqlite:" + aside.toAbsolutePath())) {
            try (Statement s = old.createStatement()) {
                // reads a file shorter than its header says (truncated) instead of refusing it whole
                s.execute("PRAGMA writable_schema=ON");
            }
            List<String> columns = columns(old);
            if (!columns.equals(COLUMNS) && !columns.equals(LANE_COLUMNS)) {
                return new Salvage(List.of(), 0, null);
            }
            stoppedBy = scan(old, columns, "ORDER BY seq", found, skipped);
            if (stoppedBy != null) {
                scan(old, columns, "ORDER BY seq DESC", found, skipped);
            }
        } catch (SQLException e) {
            stoppedBy = e.getMessage();
        }
        return new Salvage(List.copyOf(found.values()), skipped[0], stoppedBy);
    }

    /** Reads rows in {@code order} until the end or an error (returned), or until a row read before comes again. */
    private static String scan(Connection old, List<String> columns, String order, TreeMap<Long, StoredReading> found,
            int[] skipped) {
        try (PreparedStatement select = old.prepareStatement("SELECT " + String.join(", ", columns)
                + " FROM readings " + order);
             ResultSet r = select.executeQuery()) {
            while (r.next()) {
                long seq = r.getLong(1);
                if (found.containsKey(seq)) {
                    return null;
                }
                StoredReading reading = new StoredReading(seq, r.getString(2), r.getString(3), r.getString(4),
                        r.getLong(5), r.getBytes(6));
                if (columns.size() > COLUMNS.size() && r.getInt(7) >= 0 && r.getInt(7) < Lane.values().length) {
                    reading = new StoredReading(seq, reading.messageId(), reading.kind(), reading.topic(),
                            reading.acceptedAtMillis(), reading.envelope(), Lane.ofCode(r.getInt(7)), r.getLong(8));
                }
                if (plausible(reading)) {
                    found.put(seq, reading);
                } else {
                    skipped[0]++;
                }
            }
            return null;
        } catch (SQLException | RuntimeException e) {
            return e.getMessage();
        }
    }

    private static boolean plausible(StoredReading reading) {
        if (reading.seq() <= 0 || reading.messageId() == null || reading.messageId().isBlank()
                || !KINDS.contains(reading.kind()) || reading.topic() == null || reading.topic().isBlank()
                || reading.envelope() == null || reading.envelope().length == 0) {
            return false;
        }
        try {
            JsonNode envelope = JSON.readTree(reading.envelope());
            return envelope != null && envelope.isObject();
        } catch (IOException e) {
            return false;
        }
    }

    /** Stores the salvaged readings in the new outbox with their seqs (so their order) and message ids. */
    static void restore(Connection db, List<StoredReading> readings) throws SQLException {
        if (readings.isEmpty()) {
            return;
        }
        db.setAutoCommit(false);
        try (PreparedStatement insert = db.prepareStatement("INSERT INTO readings (" + String.join(", ", LANE_COLUMNS)
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (StoredReading r : readings) {
                insert.setLong(1, r.seq());
                insert.setString(2, r.messageId());
                insert.setString(3, r.kind());
                insert.setString(4, r.topic());
                insert.setLong(5, r.acceptedAtMillis());
                insert.setBytes(6, r.envelope());
                insert.setInt(7, r.lane().code());
                insert.setLong(8, r.expiresAtMillis());
                insert.addBatch();
            }
            insert.executeBatch();
            db.commit();
        } catch (SQLException e) {
            db.rollback();
            throw e;
        } finally {
            db.setAutoCommit(true);
        }
    }
}
