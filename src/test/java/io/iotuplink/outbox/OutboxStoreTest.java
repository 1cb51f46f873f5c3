package io.iotuplink.outbox;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.Reading;
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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The outbox's SQLite file as a user's gateway has it, made by this version or an earlier one; and what the drain is
 * handed (partly from memory) against what the file holds.
 */
class OutboxStoreTest {

    @TempDir
    Path dir;

    private static final AtomicInteger IDS = new AtomicInteger();

    private static List<PreparedReading> batch(int size) {
        List<PreparedReading> batch = new ArrayList<>(size);
        int batchNumber = IDS.incrementAndGet();
        for (int i = 0; i < size; i++) {
            String id = "batch-" + batchNumber + "-" + i;
            batch.add(new PreparedReading(new Reading(Reading.Kind.TELEMETRY, id, 1_000L, null,
                    JsonNodeFactory.instance.objectNode()), ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8),
                    "bombercat/telemetry"));
        }
        return batch;
    }

    /** What a store opened afresh on the file (so read from the database alone) holds, as text. */
    private List<String> onDisk(Path file) {
        try (OutboxStore fresh = OutboxStore.open(file, 1_000_000, 1L << 30, WhenFull.REJECT)) {
            return describe(fresh.after(Lane.BULK, 0, 1_000_000));
        }
    }

    private static List<String> describe(List<StoredReading> readings) {
        return readings.stream().map(r -> r.seq() + " " + r.messageId() + " " + r.kind() + " " + r.topic() + " "
                + r.acceptedAtMillis() + " " + new String(r.envelope(), StandardCharsets.UTF_8)).toList();
    }

    @Test
    void theDrainIsHandedExactlyWhatTheFileHolds() {
        Path file = dir.resolve("outbox.db");
        try (OutboxStore outbox = OutboxStore.open(file, 1000, 1 << 20, WhenFull.REJECT)) {
            outbox.append(batch(5));
            outbox.append(batch(5));
            List<StoredReading> all = outbox.after(Lane.BULK, 0, 100);
            assertEquals(onDisk(file), describe(all));
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), all.stream().map(StoredReading::seq).toList());

            // all handed out, 2 and 3 acknowledged, then a rewind: from the oldest still stored
            outbox.removeAll(List.of(all.get(1), all.get(2)));
            assertEquals(List.of(1L, 4L, 5L, 6L, 7L, 8L, 9L, 10L),
                    outbox.after(Lane.BULK, 0, 100).stream().map(StoredReading::seq).toList());
            assertEquals(onDisk(file), describe(outbox.after(Lane.BULK, 0, 100)));
            // handed out up to 4: what comes after it is the rest, in order
            assertEquals(describe(all.subList(4, 10)), describe(outbox.after(Lane.BULK, 4, 100)));
            assertEquals(describe(all.subList(4, 7)), describe(outbox.after(Lane.BULK, 4, 3)));
            outbox.append(batch(2));
            assertEquals(11, outbox.after(Lane.BULK, 10, 100).get(0).seq());

            // a rewind starts again from the oldest still stored: what was removed is not handed out again
            outbox.removeAll(List.of(all.get(5), all.get(9)));
            List<String> fromTheOldest = describe(outbox.after(Lane.BULK, 0, 100));
            assertEquals(onDisk(file), fromTheOldest);
            assertEquals(List.of(1L, 4L, 5L, 7L, 8L, 9L, 11L, 12L),
                    outbox.after(Lane.BULK, 0, 100).stream().map(StoredReading::seq).toList());
            assertEquals(8, outbox.depth());
        }
    }

    @Test
    void droppingTheOldestToMakeRoomDropsThemForTheDrainToo() {
        Path file = dir.resolve("outbox.db");
        try (OutboxStore outbox = OutboxStore.open(file, 3, 1 << 20, WhenFull.DROP_OLDEST)) {
            outbox.append(batch(2));
            assertEquals(2, outbox.after(Lane.BULK, 0, 100).size());
            for (int i = 0; i < 3; i++) {
                outbox.append(batch(1));
            }
            assertEquals(List.of(3L, 4L, 5L), outbox.after(Lane.BULK, 0, 100).stream().map(StoredReading::seq).toList());
            assertEquals(onDisk(file), describe(outbox.after(Lane.BULK, 0, 100)));
            // a batch bigger than what is left of the room drops some of the readings stored just before it
            outbox.append(batch(2));
            assertEquals(List.of(5L, 6L, 7L), outbox.after(Lane.BULK, 0, 100).stream().map(StoredReading::seq).toList());
            assertEquals(onDisk(file), describe(outbox.after(Lane.BULK, 0, 100)));
            assertEquals(3, outbox.depth());
            assertEquals(4, outbox.dropped());
        }
    }

    @Test
    void anAppendTheDatabaseCannotTakeFailsWithTheReasonInsteadOfWaiting() {
        OutboxStore outbox = OutboxStore.open(dir.resolve("outbox.db"), 100, 1 << 20, WhenFull.REJECT);
        outbox.close();
        IllegalStateException failed = assertThrows(IllegalStateException.class, () -> outbox.append(batch(2)));
        assertTrue(failed.getMessage().startsWith("cannot store readings in the outbox: "), failed.getMessage());
        assertEquals(0, outbox.depth());
    }

    @Test
    void appendsFromManyThreadsAreEachStoredWholeOnceOrRefusedWhole() throws Exception {
        Path file = dir.resolve("outbox.db");
        int threads = 8;
        int appendsEach = 40;
        int batchSize = 10;
        int room = 2_000;
        try (OutboxStore outbox = OutboxStore.open(file, room, 1L << 30, WhenFull.REJECT)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<int[]>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    int stored = 0;
                    int refused = 0;
                    for (int i = 0; i < appendsEach; i++) {
                        List<PreparedReading> batch = batch(batchSize);
                        try {
                            outbox.append(batch);
                            stored++;
                        } catch (OutboxFullException e) {
                            refused++;
                        }
                    }
                    return new int[] {stored, refused};
                }));
            }
            int stored = 0;
            int refused = 0;
            for (Future<int[]> result : results) {
                stored += result.get()[0];
                refused += result.get()[1];
            }
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));

            assertEquals(room / batchSize, stored, "as many batches as there is room for");
            assertEquals(threads * appendsEach - room / batchSize, refused);
            assertEquals(room, outbox.depth());
            List<StoredReading> all = outbox.after(Lane.BULK, 0, 1_000_000);
            assertEquals(onDisk(file), describe(all));
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < all.size(); i++) {
                assertTrue(ids.add(all.get(i).messageId()), "stored twice: " + all.get(i).messageId());
                if (i % batchSize != 0) {
                    // a batch's readings are stored together, one after the other
                    assertEquals(all.get(i - 1).seq() + 1, all.get(i).seq());
                    String previous = all.get(i - 1).messageId();
                    assertEquals(previous.substring(0, previous.lastIndexOf('-') + 1) + (i % batchSize),
                            all.get(i).messageId());
                }
            }
            assertEquals(room, ids.size());
            OutboxFullException full = assertThrows(OutboxFullException.class, () -> outbox.append(batch(1)));
            assertTrue(full.getMessage().contains("the outbox is full"), full.getMessage());
        }
    }

    private static PreparedReading event(String id) {
        return new PreparedReading(new Reading(Reading.Kind.EVENT, id, 1_000L, "temperature_alert",
                JsonNodeFactory.instance.objectNode()), ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8),
                "bombercat/events");
    }

    @Test
    void droppingTheOldestToMakeRoomTakesTheBulkLaneFirst() {
        try (OutboxStore outbox = OutboxStore.open(dir.resolve("outbox.db"), 4, 1 << 20, WhenFull.DROP_OLDEST)) {
            outbox.append(List.of(event("alert-1")));
            outbox.append(batch(3));
            outbox.append(batch(2));

            assertEquals(List.of("alert-1"), outbox.after(Lane.PRIORITY, 0, 10).stream().map(StoredReading::messageId)
                    .toList(), "the oldest reading, but an event: it stays");
            assertEquals(3, outbox.depth(Lane.BULK));
            assertEquals(1, outbox.depth(Lane.PRIORITY));
            assertEquals(2, outbox.dropped());
        }
    }

    @Test
    void expiredReadingsLeaveFromBothWhatWasReadAndWhatWasNotAndAreCountedOnce() {
        try (OutboxStore outbox = OutboxStore.open(dir.resolve("outbox.db"), 100, 1 << 20, WhenFull.REJECT)) {
            outbox.append(batch(4), null, r -> 5_000L);
            outbox.append(batch(1), null, r -> 0L);
            outbox.append(List.of(event("alert-1")), null, r -> 9_000L);
            List<StoredReading> bulk = outbox.after(Lane.BULK, 0, 2); // seqs 1 and 2 read ahead by the drain

            assertEquals(0, outbox.expire(4_999L, new long[] {0, 2}, new long[] {1}), "not yet");
            // the drain found seq 1 expired; seq 2 was read but is not named (it is on its way); 3 and 4 not read yet
            assertEquals(3, outbox.expire(5_000L, new long[] {0, 2}, new long[] {bulk.get(0).seq()}));
            assertEquals(List.of(2L, 5L), outbox.after(Lane.BULK, 0, 10).stream().map(StoredReading::seq).toList());
            assertEquals(1, outbox.depth(Lane.PRIORITY), "its own time");
            assertEquals(1, outbox.expire(9_000L, new long[] {0, 5}, new long[] {1, 3}),
                    "the event; seqs 1 and 3 are gone already and are not counted again");
            assertEquals(4, outbox.expired());
            assertEquals(List.of(2L, 5L), outbox.after(Lane.BULK, 0, 10).stream().map(StoredReading::seq).toList(),
                    "seq 2 was read and not named: the drain decides about it");
            assertEquals(2, outbox.depth());
        }
    }

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
            List<StoredReading> kept = outbox.after(Lane.BULK, 0, 10);
            assertEquals(List.of(2L, 3L), kept.stream().map(StoredReading::seq).toList());
            assertEquals(List.of("id-2", "id-3"), kept.stream().map(StoredReading::messageId).toList());
            assertEquals("{\"n\":3}", new String(kept.get(1).envelope(), StandardCharsets.UTF_8));
        }
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = db.createStatement()) {
            try (ResultSet indexes = s.executeQuery("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index'"
                    + " AND tbl_name = 'readings' AND (sql IS NULL OR sql LIKE '%message_id%')")) {
                assertEquals(0, indexes.getLong(1), "no index on message_id left (the lanes' own are not on it)");
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
