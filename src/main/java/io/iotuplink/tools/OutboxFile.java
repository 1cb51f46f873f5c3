package io.iotuplink.tools;

import io.iotuplink.ConfigurationException;
import io.iotuplink.config.ConfigReader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The outbox file as the operator's commands open it: a JDBC connection of their own (the bundle is not running:
 * they hold the data dir's lock), and the books every removal or replay is counted in.
 */
final class OutboxFile {

    /** The books' rows, in the order of accepted = published + dead_lettered + expired + dropped + waiting. */
    static final String[] BOOKS = {"accepted", "published", "dead_lettered", "expired", "dropped"};

    private OutboxFile() {
    }

    /**
     * Opens {@code file}, which must be an outbox already.
     *
     * @throws ConfigurationException when there is none (the bundle never ran with this data dir)
     */
    static Connection open(Path file) throws SQLException {
        if (!Files.isRegularFile(file)) {
            throw new ConfigurationException(ConfigReader.envName("uplink.data-dir") + "=" + file.getParent()
                    + ": no outbox (" + file.getFileName() + ") there; the bundle makes it at its first start"
                    + " (with --local: outbox-local.db, so give the command --local too)");
        }
        Connection db = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
        try (Statement s = db.createStatement()) {
            s.execute("PRAGMA busy_timeout=5000");
            s.execute("PRAGMA synchronous=FULL");
            s.execute("CREATE TABLE IF NOT EXISTS books (name TEXT PRIMARY KEY, readings INTEGER NOT NULL)");
        }
        return db;
    }

    /** Adds {@code n} to a book, inside the caller's transaction. */
    static void count(Connection db, String book, long n) throws SQLException {
        try (PreparedStatement s = db.prepareStatement("INSERT INTO books (name, readings) VALUES (?, ?)"
                + " ON CONFLICT(name) DO UPDATE SET readings = readings + excluded.readings")) {
            s.setString(1, book);
            s.setLong(2, n);
            s.executeUpdate();
        }
    }

    /** Every book's total (0 for a book not written yet). */
    static Map<String, Long> books(Connection db) throws SQLException {
        Map<String, Long> books = new LinkedHashMap<>();
        for (String name : BOOKS) {
            books.put(name, 0L);
        }
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT name, readings FROM books")) {
            while (r.next()) {
                books.put(r.getString(1), r.getLong(2));
            }
        }
        return books;
    }

    /** The target the outbox's readings are bound to ({@code endpoint client-id}), or null. */
    static String target(Connection db) throws SQLException {
        try (Statement s = db.createStatement();
             ResultSet t = s.executeQuery("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                     + " AND name = 'target'")) {
            if (t.getLong(1) == 0) {
                return null;
            }
        }
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT endpoint, client_id FROM target ORDER BY bound_at DESC LIMIT 1")) {
            return r.next() ? r.getString(1) + " " + r.getString(2) : null;
        }
    }

    /** Runs {@code work} in one transaction: all of it is on disk when this returns, or none of it. */
    static <T> T inTransaction(Connection db, SqlWork<T> work) throws SQLException {
        db.setAutoCommit(false);
        try {
            T result = work.run();
            db.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            db.rollback();
            throw e;
        } finally {
            db.setAutoCommit(true);
        }
    }

    /** Work on the outbox that may fail with SQLite's error. */
    interface SqlWork<T> {
        T run() throws SQLException;
    }
}
