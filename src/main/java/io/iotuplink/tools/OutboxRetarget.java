package io.iotuplink.tools;

import io.iotuplink.outbox.OutboxTarget;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * {@code outbox retarget}: binds the waiting readings to the configured endpoint and client id (a typo corrected,
 * a thing renamed), the way the bundle binds an empty outbox: the target table's one row replaced, and a new family
 * of message ids for the readings accepted from then on.
 */
final class OutboxRetarget {

    private OutboxRetarget() {
    }

    /** What a retarget would do: the outbox's target now (null: none recorded), the new one, the readings moved. */
    record Move(String from, String to, long readings) {
        boolean changes() {
            return !to.equals(from);
        }
    }

    static Move plan(Connection db, OutboxTarget.Target target) throws SQLException {
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT COUNT(*) FROM readings")) {
            return new Move(OutboxFile.target(db), target.toString(), r.getLong(1));
        }
    }

    /** Binds the outbox to {@code target} in one transaction. */
    static void apply(Connection db, OutboxTarget.Target target, long nowMillis) throws SQLException {
        try (Statement s = db.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS target (endpoint TEXT NOT NULL, client_id TEXT NOT NULL,"
                    + " bound_at INTEGER NOT NULL)");
        }
        OutboxFile.inTransaction(db, () -> {
            try (Statement s = db.createStatement();
                 PreparedStatement insert = db.prepareStatement(
                         "INSERT INTO target (endpoint, client_id, bound_at) VALUES (?, ?, ?)")) {
                s.execute("DELETE FROM target");
                // the readings keep their ids; those accepted from now on draw from a new family (MessageIds)
                s.execute("CREATE TABLE IF NOT EXISTS message_ids (prefix TEXT NOT NULL,"
                        + " reserved_to INTEGER NOT NULL)");
                s.execute("DELETE FROM message_ids");
                insert.setString(1, target.endpoint());
                insert.setString(2, target.clientId());
                insert.setLong(3, nowMillis);
                return insert.executeUpdate();
            }
        });
    }
}
