package io.iotuplink.tools;

import io.iotuplink.outbox.Lane;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code outbox status}: what waits in the outbox, per lane and kind, and its books. */
final class OutboxSummary {

    private OutboxSummary() {
    }

    /** The summary as a JSON object's members, in the order they are printed. */
    static Map<String, Object> of(Connection db) throws SQLException {
        Map<String, Object> lanes = new LinkedHashMap<>();
        for (Lane lane : Lane.values()) {
            lanes.put(lane.label(), new LinkedHashMap<String, Object>());
        }
        long readings = 0;
        long bytes = 0;
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT lane, kind, COUNT(*), COALESCE(SUM(LENGTH(envelope)), 0)"
                     + " FROM readings GROUP BY lane, kind ORDER BY lane, kind")) {
            while (r.next()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> kinds = (Map<String, Object>) lanes.computeIfAbsent(Lanes.label(r.getInt(1)),
                        l -> new LinkedHashMap<String, Object>());
                Map<String, Object> kind = new LinkedHashMap<>();
                kind.put("readings", r.getLong(3));
                kind.put("bytes", r.getLong(4));
                kinds.put(r.getString(2), kind);
                readings += r.getLong(3);
                bytes += r.getLong(4);
            }
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("readings", readings);
        summary.put("bytes", bytes);
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT MIN(accepted_at), MAX(accepted_at) FROM readings")) {
            summary.put("oldest_accepted", time(r, 1));
            summary.put("newest_accepted", time(r, 2));
        }
        summary.put("lanes", lanes);
        summary.put("target", OutboxFile.target(db));
        summary.put("books", OutboxFile.books(db));
        return summary;
    }

    private static String time(ResultSet r, int column) throws SQLException {
        long millis = r.getLong(column);
        return r.wasNull() ? null : Instant.ofEpochMilli(millis).toString();
    }
}
