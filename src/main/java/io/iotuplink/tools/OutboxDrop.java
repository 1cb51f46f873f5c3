package io.iotuplink.tools;

import io.iotuplink.outbox.Lane;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

/**
 * {@code outbox drop}: removes waiting readings (older than a duration, of a lane, or all), in chunks of one
 * transaction each, every chunk counted into the books' {@code dropped} in its own transaction.
 */
final class OutboxDrop {

    /** Readings removed per transaction: a drop of millions never holds the write lock (or the journal) for long. */
    static final int CHUNK = 1_000;

    private OutboxDrop() {
    }

    /**
     * Which readings go: accepted before {@code olderThan} ago (null: any age) and in {@code lane} (null: both);
     * with neither, all of them.
     */
    record Selection(Duration olderThan, Lane lane) {

        String where() {
            return " WHERE accepted_at < ? AND (? < 0 OR lane = ?)";
        }

        int bind(PreparedStatement s, long nowMillis) throws SQLException {
            s.setLong(1, olderThan == null ? Long.MAX_VALUE : nowMillis - olderThan.toMillis());
            int code = lane == null ? -1 : Lanes.code(lane);
            s.setInt(2, code);
            s.setInt(3, code);
            return 4;
        }
    }

    static long count(Connection db, Selection selection, long nowMillis) throws SQLException {
        try (PreparedStatement s = db.prepareStatement("SELECT COUNT(*) FROM readings" + selection.where())) {
            selection.bind(s, nowMillis);
            try (ResultSet r = s.executeQuery()) {
                return r.getLong(1);
            }
        }
    }

    /** Removes the selected readings; returns how many. */
    static long drop(Connection db, Selection selection, long nowMillis) throws SQLException {
        long total = 0;
        while (true) {
            long removed = OutboxFile.inTransaction(db, () -> {
                try (PreparedStatement s = db.prepareStatement("DELETE FROM readings WHERE seq IN (SELECT seq FROM"
                        + " readings" + selection.where() + " ORDER BY seq LIMIT ?)")) {
                    s.setInt(selection.bind(s, nowMillis), CHUNK);
                    long n = s.executeUpdate();
                    OutboxFile.count(db, "dropped", n);
                    return n;
                }
            });
            total += removed;
            if (removed < CHUNK) {
                return total;
            }
        }
    }
}
