package io.iotuplink.tools;

import io.iotuplink.deadletter.DeadLetter;
import io.iotuplink.deadletter.DeadLetters;
import io.iotuplink.outbox.Lane;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code dead-letter replay}: dead letters back into the outbox as they were accepted (message_id, kind, topic, lane,
 * accepted time and envelope), counted as accepted anew in the same transaction, and removed from the dead-letter
 * directory once that transaction is on disk (a crash in between sends one twice, with its message_id, which
 * at-least-once allows).
 */
final class DeadLetterReplay {

    /** Letters per transaction. */
    static final int CHUNK = 500;

    private DeadLetterReplay() {
    }

    /** What a replay did: the letters back in the outbox, and those it left (with why). */
    record Result(long replayed, List<String> left) {
    }

    static Result replay(Connection db, DeadLetters letters, List<DeadLetter> chosen) throws SQLException,
            IOException {
        List<String> left = new ArrayList<>();
        List<DeadLetter> replayable = new ArrayList<>();
        for (DeadLetter letter : chosen) {
            if (letter.replayable()) {
                replayable.add(letter);
            } else {
                left.add(letter.messageId() + ": its .reason file lacks the topic, lane or accepted time (written"
                        + " by an earlier version): publish its .json yourself, or delete it");
            }
        }
        long replayed = 0;
        for (int from = 0; from < replayable.size(); from += CHUNK) {
            List<DeadLetter> chunk = replayable.subList(from, Math.min(replayable.size(), from + CHUNK));
            List<byte[]> envelopes = new ArrayList<>(chunk.size());
            for (DeadLetter letter : chunk) {
                envelopes.add(letters.envelope(letter.messageId()));
            }
            OutboxFile.inTransaction(db, () -> {
                try (PreparedStatement insert = db.prepareStatement("INSERT INTO readings (message_id, kind, topic,"
                        + " accepted_at, envelope, lane, expires_at) VALUES (?, ?, ?, ?, ?, ?, 0)")) {
                    for (int i = 0; i < chunk.size(); i++) {
                        DeadLetter letter = chunk.get(i);
                        insert.setString(1, letter.messageId());
                        insert.setString(2, letter.kind());
                        insert.setString(3, letter.topic());
                        insert.setLong(4, letter.acceptedAtMillis());
                        insert.setBytes(5, envelopes.get(i));
                        insert.setInt(6, Lanes.code(Lane.named(letter.lane())));
                        insert.addBatch();
                    }
                    insert.executeBatch();
                }
                OutboxFile.count(db, "accepted", chunk.size());
                return null;
            });
            for (DeadLetter letter : chunk) {
                letters.remove(letter.messageId());
            }
            replayed += chunk.size();
        }
        return new Result(replayed, left);
    }
}
