package io.iotuplink.outbox;

import io.iotuplink.ConfigurationException;
import io.iotuplink.config.ConfigReader;
import io.iotuplink.config.UplinkConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The broker an outbox's readings were accepted for (its endpoint and the client id, or {@code --local}), kept in
 * the outbox file's own {@code target} table: readings accepted for one broker are never published to another.
 * An outbox holding readings for another target than the configured one stops the start (exit 2).
 */
public final class OutboxTarget {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxTarget.class);
    /** The endpoint recorded for {@code --local}: its broker is the embedded one, whatever its port. */
    public static final String LOCAL = "--local";
    /** AWS IoT Core serves MQTT over TLS on both: moving from one to the other keeps the broker. */
    private static final Set<Integer> MQTT_TLS_PORTS = Set.of(443, 8883);
    private static final List<String> SIDE_FILES = List.of("-wal", "-shm", "-journal");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private OutboxTarget() {
    }

    /** A broker endpoint ({@code host:port}, or {@link #LOCAL}) and the MQTT client id used there. */
    public record Target(String endpoint, String clientId) {

        /** The target a configuration publishes to. */
        public static Target of(UplinkConfig config) {
            return new Target(config.local() ? LOCAL : config.endpoint(), config.clientId());
        }

        /** Whether readings accepted for {@code other} may go out to this target. */
        boolean sameAs(Target other) {
            return clientId.equals(other.clientId) && sameBroker(endpoint, other.endpoint);
        }

        private static boolean sameBroker(String one, String other) {
            if (one.equalsIgnoreCase(other)) {
                return true;
            }
            int a = one.lastIndexOf(':');
            int b = other.lastIndexOf(':');
            if (a < 0 || b < 0 || !one.substring(0, a).equalsIgnoreCase(other.substring(0, b))) {
                return false;
            }
            try {
                return MQTT_TLS_PORTS.contains(Integer.parseInt(one.substring(a + 1)))
                        && MQTT_TLS_PORTS.contains(Integer.parseInt(other.substring(b + 1)));
            } catch (NumberFormatException e) {
                return false;
            }
        }

        /** {@code endpoint client-id}, as {@code /status} shows it. */
        @Override
        public String toString() {
            return endpoint + " " + clientId;
        }

        /** As the start log says it: {@code host:port as client id 'x'}. */
        String phrase() {
            return endpoint + " as client id '" + clientId + "'";
        }

        /** The settings that start the bundle against this target. */
        String settings() {
            String id = ConfigReader.envName("aws.iot.client-id") + "=" + clientId;
            return LOCAL.equals(endpoint) ? "--local and " + id
                    : ConfigReader.envName("aws.iot.endpoint") + "=" + endpoint + " and " + id + " (without --local)";
        }
    }

    /**
     * Opens the outbox in {@code file} with {@code opener} once it is known to hold no readings for another target
     * than {@code current}, and binds it to {@code current}: an outbox without a target (new, or from an earlier
     * version) is bound to it, an empty one bound elsewhere is bound to it anew.
     *
     * @throws ConfigurationException when the outbox holds readings accepted for another target; one line that
     *                                names the file, the readings, both targets and what to do (the file is left
     *                                as it is)
     */
    public static OutboxStore open(Path file, Target current, Function<Path, OutboxStore> opener) {
        // read before the store opens it: a refused outbox is left exactly as it was
        Recorded before = recorded(file);
        if (before.target() != null && !before.target().sameAs(current) && before.readings() > 0) {
            throw new ConfigurationException(refusal(file, before.readings(), before.target(), current));
        }
        OutboxStore store = opener.apply(file);
        try {
            Target found = bound(file);
            // a damaged outbox was set aside and its readings salvaged into a new file: they keep their target
            Target recorded = found != null ? found : before.target();
            long depth = store.depth();
            if (recorded == null) {
                record(file, current, false);
                if (depth > 0) {
                    LOG.info("Outbox {} holds {} reading(s) from a version that did not record their broker: they"
                            + " are bound to {} now, and go out there", file, depth, current.phrase());
                }
            } else if (recorded.sameAs(current)) {
                if (!current.equals(found)) {
                    record(file, current, false);
                }
            } else if (depth == 0) {
                record(file, current, true);
                LOG.info("Outbox {} was bound to {}; it is empty, so it is bound to {} now", file,
                        recorded.phrase(), current.phrase());
            } else {
                if (found == null) {
                    record(file, recorded, false);
                }
                store.close();
                throw new ConfigurationException(refusal(file, depth, recorded, current));
            }
        } catch (SQLException e) {
            store.close();
            throw new IllegalStateException("cannot record the broker of the outbox " + file + ": "
                    + e.getMessage(), e);
        }
        return store;
    }

    /** What an outbox file says before it is opened: its target (null: none, or unreadable) and its readings. */
    record Recorded(Target target, long readings) {
        static final Recorded NOTHING = new Recorded(null, 0);
    }

    /**
     * Reads {@code file} without changing it; a file SQLite cannot read is the store's to set aside, so this only
     * says what it can (an unknown number of readings is -1).
     */
    static Recorded recorded(Path file) {
        try {
            if (!Files.isRegularFile(file) || Files.size(file) == 0) {
                return Recorded.NOTHING;
            }
        } catch (IOException e) {
            return Recorded.NOTHING;
        }
        SQLiteConfig readOnly = new SQLiteConfig();
        readOnly.setReadOnly(true);
        try (Connection db = readOnly.createConnection("jdbc:sqlite:" + file.toAbsolutePath())) {
            Target target;
            try {
                target = target(db);
            } catch (SQLException e) {
                return Recorded.NOTHING;
            }
            long readings;
            try (Statement s = db.createStatement();
                 ResultSet r = s.executeQuery("SELECT COUNT(*) FROM readings")) {
                readings = r.getLong(1);
            } catch (SQLException e) {
                readings = hasTable(db, "readings") ? -1 : 0;
            }
            return new Recorded(target, readings);
        } catch (SQLException e) {
            return Recorded.NOTHING;
        }
    }

    /** The target recorded in the open outbox {@code file}, or null. */
    private static Target bound(Path file) throws SQLException {
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath())) {
            return target(db);
        }
    }

    private static Target target(Connection db) throws SQLException {
        if (!hasTable(db, "target")) {
            return null;
        }
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT endpoint, client_id FROM target ORDER BY bound_at DESC LIMIT 1")) {
            return r.next() ? new Target(r.getString(1), r.getString(2)) : null;
        }
    }

    private static boolean hasTable(Connection db, String name) {
        try (PreparedStatement s = db.prepareStatement(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?")) {
            s.setString(1, name);
            try (ResultSet r = s.executeQuery()) {
                return r.getLong(1) > 0;
            }
        } catch (SQLException e) {
            return false;
        }
    }

    /**
     * Makes {@code target} the one row of the file's target table; with {@code newMessageIds}, the outbox's next
     * reading draws a new message id prefix ({@link MessageIds}): a device's readings for another broker never share
     * a family of ids with those of the one before (a gateway image cloned with its outbox, then given its own
     * client id).
     */
    private static void record(Path file, Target target, boolean newMessageIds) throws SQLException {
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath())) {
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("CREATE TABLE IF NOT EXISTS target (endpoint TEXT NOT NULL, client_id TEXT NOT NULL,"
                        + " bound_at INTEGER NOT NULL)");
            }
            db.setAutoCommit(false);
            try (Statement s = db.createStatement();
                 PreparedStatement insert = db.prepareStatement(
                         "INSERT INTO target (endpoint, client_id, bound_at) VALUES (?, ?, ?)")) {
                s.execute("DELETE FROM target");
                if (newMessageIds) {
                    s.execute(OutboxStore.MESSAGE_IDS_TABLE);
                    s.execute("DELETE FROM message_ids");
                }
                insert.setString(1, target.endpoint());
                insert.setString(2, target.clientId());
                insert.setLong(3, System.currentTimeMillis());
                insert.executeUpdate();
                db.commit();
            } catch (SQLException e) {
                db.rollback();
                throw e;
            }
        }
    }

    /** The one line that stops the start: what is in the way, and the two ways out. */
    static String refusal(Path file, long readings, Target recorded, Target current) {
        String base = file.getFileName().toString().replaceFirst("\\.db$", "");
        String keep = base + "-" + recorded.clientId().replaceAll("[^A-Za-z0-9._-]", "_") + "-"
                + STAMP.format(Clock.systemUTC().instant());
        Path aside = file.resolveSibling(keep);
        List<String> files = new ArrayList<>();
        files.add(file.toString());
        for (String suffix : SIDE_FILES) {
            Path side = file.resolveSibling(file.getFileName() + suffix);
            if (Files.exists(side)) {
                files.add(side.toString());
            }
        }
        return file + ": holds " + (readings < 0 ? "readings" : readings + " reading(s)") + " accepted for "
                + recorded.phrase() + ", but this start publishes to " + current.phrase()
                + ", and readings never go to another broker or client id than their own. To send them, start with "
                + recorded.settings() + "; to keep them apart (or drop them), move the outbox aside first: mkdir "
                + aside + " && mv " + String.join(" ", files) + " " + aside + "/ (sqlite3 reads it there;"
                + " delete that directory to drop them)";
    }
}
