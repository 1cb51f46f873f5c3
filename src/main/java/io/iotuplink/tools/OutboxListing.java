package io.iotuplink.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.outbox.Lane;

import java.io.IOException;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code outbox list}: the waiting readings as NDJSON, in the order they go out. */
final class OutboxListing {

    private OutboxListing() {
    }

    /**
     * Prints one JSON object per reading: message_id, topic, kind, lane, accepted_at and the envelope as stored.
     *
     * @param lane  only this lane's, or null for both
     * @param limit at most this many
     * @return how many it printed
     */
    static long print(Connection db, Lane lane, long limit, ObjectMapper json, PrintStream out)
            throws SQLException, IOException {
        String sql = "SELECT message_id, topic, kind, lane, accepted_at, envelope FROM readings"
                + (lane == null ? "" : " WHERE lane = ?") + " ORDER BY lane, seq LIMIT ?";
        long printed = 0;
        try (PreparedStatement s = db.prepareStatement(sql)) {
            int i = 1;
            if (lane != null) {
                s.setInt(i++, Lanes.code(lane));
            }
            s.setLong(i, limit);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("message_id", r.getString(1));
                    line.put("topic", r.getString(2));
                    line.put("kind", r.getString(3));
                    line.put("lane", Lanes.label(r.getInt(4)));
                    line.put("accepted_at", Instant.ofEpochMilli(r.getLong(5)).toString());
                    line.put("envelope", Envelopes.asJson(json, r.getBytes(6)));
                    out.println(json.writeValueAsString(line));
                    printed++;
                }
            }
        }
        return printed;
    }
}
