package io.iotuplink.outbox;

import io.iotuplink.config.FileMode;
import io.iotuplink.envelope.PreparedReading;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The durable outbox: an SQLite database ({@code {data-dir}/outbox.db}, {@code outbox-local.db} with {@code --local};
 * inspect it with {@code sqlite3}) where
 * every accepted reading is committed before its input is acknowledged, and from which it is removed only
 * after its PUBACK. Bounded in readings and bytes, with an explicit policy when full. Readings wait in {@link Lane}s,
 * each read oldest first; a reading may expire, and then leaves it unpublished, counted.
 */
public final class OutboxStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxStore.class);

    /** How long an append waits before it looks again whether it was committed (it is woken when it is). */
    private static final long PARK_NANOS = 10_000_000;
    /** What a write needs beyond its envelopes, at least: WAL frames for the pages it touches (4 KiB each). */
    private static final long WRITE_OVERHEAD_BYTES = 64 * 1024;

    private final Path file;
    private final Connection db;
    /** The consumer's own read-only connection: with WAL, reading never waits for an append's commit to reach disk. */
    private final Connection reader;
    private final Object readLock = new Object();
    private final long maxReadings;
    private final long maxBytes;
    private final WhenFull whenFull;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    /** Readings waiting in each lane (by {@link Lane#code()}); written under the writer lock. */
    private final AtomicLongArray laneDepth = new AtomicLongArray(Lane.values().length);
    /** How many readings were ever stored in each lane since the start: a reader sees when there is more to read. */
    private final AtomicLongArray appended = new AtomicLongArray(Lane.values().length);
    /** This outbox's message ids, once asked for (after it is bound to its broker). */
    private MessageIds messageIds;
    /** Held while the writing connection is in use: one transaction at a time. */
    private final ReentrantLock writer = new ReentrantLock();
    private volatile long depth;
    private volatile long bytes;
    /** Whether the last append and the last removal failed, and why; written under the writer lock. */
    private volatile Storage appends = Storage.OK;
    private volatile Storage removals = Storage.OK;
    private final Queue<PendingAppend> pending = new ConcurrentLinkedQueue<>();
    private PreparedStatement insert;
    private PreparedStatement selectAfter;
    private PreparedStatement measure;
    private PreparedStatement delete;
    private PreparedStatement countBook;
    /** The books, as committed: changed only under the writer lock, with the rows they count. */
    private volatile Books books;
    /** Who says which readings may not be dropped to make room (the ledger: those handed out or finished). */
    private volatile DropGuard dropGuard = DropGuard.NONE;
    /** Test hook: a write may be made to fail before it starts. */
    private volatile Faults faults = Faults.NONE;

    private OutboxStore(Path file, Connection db, Connection reader, long maxReadings, long maxBytes,
            WhenFull whenFull) throws SQLException {
        this.file = file.toAbsolutePath();
        this.db = db;
        this.reader = reader;
        this.maxReadings = maxReadings;
        this.maxBytes = maxBytes;
        this.whenFull = whenFull;
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT lane, COUNT(*), COALESCE(SUM(LENGTH(envelope)), 0) FROM readings"
                     + " GROUP BY lane")) {
            while (r.next()) {
                laneDepth.set(r.getInt(1), r.getLong(2));
                depth += r.getLong(2);
                bytes += r.getLong(3);
            }
        }
        this.books = readBooks(db, file, depth);
    }

    /** Opens (or creates) the outbox in {@code file}, readable by the bundle's user only. */
    public static OutboxStore open(Path file, long maxReadings, long maxBytes, WhenFull whenFull) {
        return open(file, FileMode.PRIVATE, maxReadings, maxBytes, whenFull);
    }

    /**
     * Opens (or creates) the outbox in {@code file} with the given mode; SQLite gives its journal files ({@code -wal},
     * {@code -shm}) the database file's mode. A file SQLite cannot read, or whose tables are not an outbox's, is
     * moved aside ({@code outbox.db.damaged-<time>}) and what can still be read from it goes into the new outbox
     * first, with its message ids and in its order.
     */
    public static OutboxStore open(Path file, FileMode mode, long maxReadings, long maxBytes, WhenFull whenFull) {
        Path path = file.toAbsolutePath();
        try {
            Files.createDirectories(path.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the directory of the outbox " + file, e);
        }
        try {
            String damage = DamagedOutbox.problem(path);
            Path aside = null;
            DamagedOutbox.Salvage salvage = null;
            if (damage != null) {
                aside = moveAside(path, damage);
                salvage = DamagedOutbox.salvage(aside);
            }
            mode.file(path);
            Connection db = DriverManager.getConnection("jdbc:sqlite:" + path);
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                // FULL: a commit is on disk before the input is acknowledged, even across a power cut
                s.execute("PRAGMA synchronous=FULL");
                s.execute(createTable("readings"));
            }
            dropMessageIdIndex(db, file);
            addLanes(db, file);
            try (Statement s = db.createStatement()) {
                s.execute(BOOKS_TABLE);
            }
            if (salvage != null) {
                DamagedOutbox.restore(db, salvage.readings());
                LOG.error("The outbox {} was damaged ({}): it was moved aside to {} (with its -wal and -shm, if"
                        + " any), {} reading(s) read from it are in a new outbox and go out first, with their"
                        + " message ids{}{}; look into the old file with sqlite3, or delete it", file, damage, aside,
                        salvage.readings().size(), salvage.skipped() == 0 ? ""
                                : ", " + salvage.skipped() + " row(s) that were not readings any more left out",
                        salvage.stoppedBy() == null ? "" : " (reading it stopped at: " + salvage.stoppedBy() + ")");
            }
            SQLiteConfig readOnly = new SQLiteConfig();
            readOnly.setReadOnly(true);
            Connection reader = readOnly.createConnection("jdbc:sqlite:" + path);
            OutboxStore store = new OutboxStore(file, db, reader, maxReadings, maxBytes, whenFull);
            if (store.depth > 0) {
                // said at INFO once the bundle runs (UplinkBundle): a start that fails says its problem first
                LOG.debug("Outbox {} holds {} reading(s) from before; they go out first", file, store.depth);
            }
            return store;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open the outbox " + file + ": " + e.getMessage(), e);
        }
    }

    private static Path moveAside(Path file, String damage) {
        try {
            return DamagedOutbox.moveAside(file, Clock.systemUTC());
        } catch (IOException e) {
            throw new IllegalStateException("the outbox " + file + " is damaged (" + damage + ") and cannot be moved"
                    + " aside (" + e + "): move or delete it, and its -wal and -shm", e);
        }
    }

    /**
     * The message ids' family ({@link MessageIds}): one row, its prefix and the highest count that may have been
     * handed out; no table nor row until the first is asked for, and no row again once the outbox is bound to another
     * broker.
     */
    static final String MESSAGE_IDS_TABLE = "CREATE TABLE IF NOT EXISTS message_ids (prefix TEXT NOT NULL,"
            + " reserved_to INTEGER NOT NULL)";


    /**
     * The books: running totals in readings since the outbox file was made, changed in the same transaction as the
     * rows they count, so that {@code accepted = published + dead_lettered + expired + dropped + rows} always holds
     * on disk. A tool that removes rows counts them in {@code dropped}; a replayed dead letter is a new acceptance.
     */
    static final String BOOKS_TABLE = "CREATE TABLE IF NOT EXISTS books (name TEXT PRIMARY KEY,"
            + " readings INTEGER NOT NULL)";
    private static final String BOOK_UPSERT = "INSERT INTO books (name, readings) VALUES (?, ?)"
            + " ON CONFLICT(name) DO UPDATE SET readings = readings + excluded.readings";

    /** The books as committed, and the readings stored now ({@code rows}). */
    public record Books(long accepted, long published, long deadLettered, long expired, long dropped, long rows) {

        Books plus(long accepted, long published, long deadLettered, long expired, long dropped) {
            return new Books(this.accepted + accepted, this.published + published, this.deadLettered + deadLettered,
                    this.expired + expired, this.dropped + dropped,
                    rows + accepted - published - deadLettered - expired - dropped);
        }

        /** Whether every reading accepted is accounted for. */
        public boolean balance() {
            return accepted == published + deadLettered + expired + dropped + rows;
        }
    }

    /**
     * Reads the books; an outbox without them (an earlier version), or whose totals do not account for its rows (an
     * earlier version removed some), counts the rows it holds as accepted.
     */
    private static Books readBooks(Connection db, Path file, long rows) throws SQLException {
        java.util.Map<String, Long> totals = new java.util.HashMap<>();
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT name, readings FROM books")) {
            while (r.next()) {
                totals.put(r.getString(1), r.getLong(2));
            }
        }
        long published = totals.getOrDefault("published", 0L);
        long deadLettered = totals.getOrDefault("dead_lettered", 0L);
        long expired = totals.getOrDefault("expired", 0L);
        long dropped = totals.getOrDefault("dropped", 0L);
        long accepted = totals.getOrDefault("accepted", 0L);
        long owed = published + deadLettered + expired + dropped + rows - accepted;
        if (owed != 0) {
            try (PreparedStatement upsert = db.prepareStatement(BOOK_UPSERT)) {
                upsert.setString(1, "accepted");
                upsert.setLong(2, owed);
                upsert.executeUpdate();
            }
            if (!totals.isEmpty()) {
                LOG.info("Outbox {}: its books did not account for {} reading(s) (an earlier version changed it);"
                        + " counted as accepted", file, owed);
            }
            accepted += owed;
        }
        return new Books(accepted, published, deadLettered, expired, dropped, rows);
    }

    /** Adds to one of the books in the transaction under way (the caller holds the writer lock). */
    private void book(String name, long readings) throws SQLException {
        if (readings == 0) {
            return;
        }
        if (countBook == null) {
            countBook = db.prepareStatement(BOOK_UPSERT);
        }
        countBook.setString(1, name);
        countBook.setLong(2, readings);
        countBook.executeUpdate();
    }

    /**
     * The books after a removal was committed (under the writer lock): changed together with what the ledger knows of
     * those readings, under its lock, so that the two never count a reading twice or not at all.
     */
    private void booksChanged(Books after, Committed committed, long[] seqs) {
        if (committed == null) {
            books = after;
            return;
        }
        dropGuard.hold();
        try {
            books = after;
            committed.removed(seqs);
        } finally {
            dropGuard.release();
        }
    }

    /** The books as last committed. */
    public Books books() {
        return books;
    }

    /**
     * Which readings may be dropped to make room: the store asks while it holds its writer lock, between
     * {@link #hold()} and {@link #release()}, and says which it dropped once that is committed.
     */
    interface DropGuard {
        DropGuard NONE = new DropGuard() {
        };

        /** Holds the guard's state still (its lock) while the store decides and commits. */
        default void hold() {
        }

        default void release() {
        }

        /** Whether the reading {@code seq} waits (is not handed out, nor published and awaiting removal). */
        default boolean droppable(long seq) {
            return true;
        }

        /** These readings were dropped (committed; still under the lock). */
        default void dropped(long[] seqs) {
        }
    }

    void dropGuard(DropGuard guard) {
        this.dropGuard = guard;
    }

    /** Test hook: called as each write transaction starts ({@code append}, {@code finish}, {@code expire}). */
    interface Faults {
        Faults NONE = write -> {
        };

        void before(String write) throws SQLException;
    }

    void faults(Faults faults) {
        this.faults = faults;
    }

    /**
     * The table: seq orders the readings (AUTOINCREMENT: never reused, so the drain's position stays valid); lane is
     * {@link Lane#code()}, expires_at epoch milliseconds (0: never). No index on message ids: they are random
     * UUIDs, and an index on them would rewrite a random page of it for every reading stored or removed.
     */
    private static String createTable(String name) {
        return "CREATE TABLE IF NOT EXISTS " + name + " ("
                + " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                + " message_id TEXT NOT NULL,"
                + " kind TEXT NOT NULL,"
                + " topic TEXT NOT NULL,"
                + " accepted_at INTEGER NOT NULL,"
                + " envelope BLOB NOT NULL,"
                + " lane INTEGER NOT NULL DEFAULT " + Lane.BULK.code() + ","
                + " expires_at INTEGER NOT NULL DEFAULT 0)";
    }

    /**
     * Gives an outbox of an earlier version its lanes (events first, as they are placed now) and its expiry column,
     * and indexes both: each lane is read in seq order, and only readings with a time to live are looked at for
     * expiry. Both indexes grow at their end, so they cost an append little.
     */
    private static void addLanes(Connection db, Path file) throws SQLException {
        if (!DamagedOutbox.columns(db).contains("lane")) {
            db.setAutoCommit(false);
            try (Statement s = db.createStatement()) {
                s.execute("ALTER TABLE readings ADD COLUMN lane INTEGER NOT NULL DEFAULT " + Lane.BULK.code());
                s.execute("ALTER TABLE readings ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0");
                s.execute("UPDATE readings SET lane = " + Lane.PRIORITY.code() + " WHERE kind = 'event'");
                db.commit();
                LOG.info("Outbox {}: readings now wait in lanes (events before telemetry)", file);
            } catch (SQLException e) {
                db.rollback();
                throw e;
            } finally {
                db.setAutoCommit(true);
            }
        }
        try (Statement s = db.createStatement()) {
            s.execute("CREATE INDEX IF NOT EXISTS readings_by_lane ON readings (lane, seq)");
            s.execute("CREATE INDEX IF NOT EXISTS readings_by_expiry ON readings (expires_at) WHERE expires_at > 0");
        }
    }

    /** An outbox made by an earlier version has a unique index on message_id: copied once into a table without. */
    private static void dropMessageIdIndex(Connection db, Path file) throws SQLException {
        try (Statement s = db.createStatement();
             ResultSet index = s.executeQuery("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index'"
                     + " AND tbl_name = 'readings' AND name LIKE 'sqlite_autoindex_readings_%'")) {
            if (index.getLong(1) == 0) {
                return;
            }
        }
        db.setAutoCommit(false);
        try (Statement s = db.createStatement()) {
            s.execute(createTable("readings_unindexed"));
            s.execute("INSERT INTO readings_unindexed (seq, message_id, kind, topic, accepted_at, envelope)"
                    + " SELECT seq, message_id, kind, topic, accepted_at, envelope FROM readings ORDER BY seq");
            s.execute("DROP TABLE readings");
            s.execute("ALTER TABLE readings_unindexed RENAME TO readings");
            db.commit();
            LOG.info("Outbox {}: dropped the index on message_id of an earlier version", file);
        } catch (SQLException e) {
            db.rollback();
            throw e;
        } finally {
            db.setAutoCommit(true);
        }
    }

    /**
     * Stores the readings in one transaction: all of them are durable when this returns, or none is. Appends that
     * come in while another is being committed are committed together after it (one write to disk for all of them;
     * each is still refused or stored whole).
     *
     * @throws OutboxFullException when there is no room and the policy is {@link WhenFull#REJECT}
     */
    public void append(List<PreparedReading> batch) {
        append(batch, null, reading -> 0);
    }

    /**
     * Stores the readings like {@link #append(List)}, in {@code lane} (null: each in its kind's lane), each expiring
     * at {@code expiresAt} (epoch milliseconds, 0: never).
     */
    public void append(List<PreparedReading> readings, Lane lane, java.util.function.ToLongFunction<PreparedReading>
            expiresAt) {
        List<Entry> batch = new ArrayList<>(readings.size());
        for (PreparedReading reading : readings) {
            batch.add(new Entry(reading, lane == null ? Lane.of(reading.reading().kind()) : lane,
                    expiresAt.applyAsLong(reading)));
        }
        PendingAppend mine = new PendingAppend(batch);
        pending.add(mine);
        while (!mine.settled) {
            if (writer.tryLock()) {
                try {
                    if (!mine.settled) {
                        commitPending();
                    }
                } finally {
                    writer.unlock();
                }
                wakeNextAppend();
            } else {
                // woken when settled, or when the writer is free and this append is the oldest waiting
                LockSupport.parkNanos(this, PARK_NANOS);
            }
        }
        mine.rethrow();
    }

    /** Once the writer is free: whoever came in meanwhile commits next, with all that is waiting by then. */
    private void wakeNextAppend() {
        PendingAppend next = pending.peek();
        if (next != null) {
            LockSupport.unpark(next.thread);
        }
    }

    /** A reading to store, with its lane and expiry. */
    private record Entry(PreparedReading reading, Lane lane, long expiresAtMillis) {
        long bytes() {
            return reading.envelope().length;
        }
    }

    /** Commits every append waiting so far in one transaction (the caller holds the lock). */
    private void commitPending() {
        List<PendingAppend> group = new ArrayList<>();
        for (PendingAppend next; (next = pending.poll()) != null; ) {
            group.add(next);
        }
        long groupDepth = depth;
        long groupBytes = bytes;
        long droppedNow = 0;
        long[] lanes = new long[Lane.values().length];
        long[] laneDropped = new long[Lane.values().length];
        List<PendingAppend> stored = new ArrayList<>(group.size());
        List<Entry> rows = new ArrayList<>();
        LongRuns droppedSeqs = new LongRuns();
        // dropping to make room asks the ledger which readings wait, and holds it until the drop is committed (or not)
        boolean guarded = false;
        boolean committed = false;
        try {
            faults.before("append");
            db.setAutoCommit(false);
            for (PendingAppend append : group) {
                List<Entry> batch = append.batch;
                long batchBytes = batch.stream().mapToLong(Entry::bytes).sum();
                if (batch.size() > maxReadings || batchBytes > maxBytes) {
                    append.refused(new OutboxFullException("the outbox holds at most " + maxReadings
                            + " readings and " + maxBytes + " bytes; this batch alone has " + batch.size()
                            + " readings of " + batchBytes + " bytes"));
                    continue;
                }
                boolean full = groupDepth + batch.size() > maxReadings || groupBytes + batchBytes > maxBytes;
                if (full && whenFull == WhenFull.REJECT) {
                    append.refused(new OutboxFullException("the outbox is full (" + groupDepth + " readings, "
                            + groupBytes + " bytes; limits " + maxReadings + " and " + maxBytes
                            + "): try again once the connection is back"));
                    continue;
                }
                if (full) {
                    if (!guarded) {
                        dropGuard.hold();
                        guarded = true;
                    }
                    insert(rows);
                    rows.clear();
                    Dropped freed = dropOldest(groupDepth + batch.size() - maxReadings,
                            groupBytes + batchBytes - maxBytes, droppedSeqs);
                    if (freed.readings() == 0) {
                        // what it holds is handed out or awaits its removal: this batch waits for their PUBACKs
                        append.refused(new OutboxFullException("the outbox is full (" + groupDepth + " readings, "
                                + groupBytes + " bytes; limits " + maxReadings + " and " + maxBytes + ") and too few"
                                + " of its readings wait to make room (the others are being published): try again in"
                                + " a moment"));
                    }
                    groupDepth -= freed.readings();
                    groupBytes -= freed.bytes();
                    droppedNow += freed.readings();
                    for (int lane = 0; lane < lanes.length; lane++) {
                        laneDropped[lane] += freed.byLane()[lane];
                    }
                    if (append.settled) {
                        continue;
                    }
                }
                rows.addAll(batch);
                batch.forEach(entry -> lanes[entry.lane().code()]++);
                stored.add(append);
                groupDepth += batch.size();
                groupBytes += batchBytes;
            }
            insert(rows);
            long acceptedNow = Arrays.stream(lanes).sum();
            book("accepted", acceptedNow);
            book("dropped", droppedNow);
            db.commit();
            committed = true;
            books = books.plus(acceptedNow, 0, 0, 0, droppedNow);
            if (guarded) {
                dropGuard.dropped(droppedSeqs.toArray());
            }
        } catch (SQLException e) {
            rollback();
            if (!fromSqlite(e)) {
                group.stream().filter(append -> !append.settled).forEach(append -> append.refused(
                        new IllegalStateException("cannot store readings in the outbox: " + e.getMessage(), e)));
                return;
            }
            storageFailed(false, e, "new readings are refused (HTTP 507, inbox files wait in the inbox)");
            // every append of the group not refused on its own is refused with the transaction
            group.stream().filter(append -> !append.settled).forEach(append -> append.refused(
                    refusal("store readings", e, append.batch.stream().mapToLong(Entry::bytes).sum())));
            return;
        } catch (RuntimeException e) {
            rollback();
            group.stream().filter(append -> !append.settled).forEach(append -> append.refused(
                    new IllegalStateException("cannot store readings in the outbox: " + e.getMessage(), e)));
            return;
        } finally {
            if (guarded) {
                dropGuard.release();
            }
            autoCommit();
        }
        storageWorks(false);
        depth = groupDepth;
        bytes = groupBytes;
        for (int lane = 0; lane < lanes.length; lane++) {
            laneDepth.addAndGet(lane, lanes[lane] - laneDropped[lane]);
            appended.addAndGet(lane, lanes[lane]);
        }
        stored.forEach(PendingAppend::stored);
        if (droppedNow > 0) {
            dropped.addAndGet(droppedNow);
            LOG.warn("Outbox full: dropped the {} oldest reading(s) to make room (uplink.outbox.when-full="
                    + "drop-oldest)", droppedNow);
        }
    }

    /** Inserts the rows in the transaction under way. */
    private void insert(List<Entry> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        if (insert == null) {
            insert = db.prepareStatement("INSERT INTO readings (message_id, kind, topic, accepted_at, envelope, lane,"
                    + " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
        }
        for (Entry entry : rows) {
            PreparedReading r = entry.reading();
            insert.setString(1, r.reading().messageId());
            insert.setString(2, r.reading().kind().label());
            insert.setString(3, r.topic());
            insert.setLong(4, r.reading().acceptedAtMillis());
            insert.setBytes(5, r.envelope());
            insert.setInt(6, entry.lane().code());
            insert.setLong(7, entry.expiresAtMillis());
            insert.addBatch();
        }
        insert.executeBatch();
    }

    /** What {@link #dropOldest} made room with, and from which lanes. */
    private record Dropped(long readings, long bytes, long[] byLane) {
    }

    /**
     * Deletes the oldest waiting readings until {@code readings} and {@code excessBytes} are made up: the bulk lane's
     * first, the priority lane's only when that is not enough; never one the guard says is handed out or published.
     * Deletes nothing when the waiting ones are not enough (the append is refused). Reads in bounded steps and deletes
     * a run of consecutive seqs per statement, adding each seq dropped to {@code seqs}.
     */
    private Dropped dropOldest(long readings, long excessBytes, LongRuns seqs) throws SQLException {
        long count = 0;
        long freed = 0;
        long[] byLane = new long[Lane.values().length];
        LongRuns chosen = new LongRuns();
        try (PreparedStatement select = db.prepareStatement(
                "SELECT seq, LENGTH(envelope) FROM readings WHERE lane = ? AND seq > ? ORDER BY seq LIMIT 1000")) {
            for (int lane = Lane.values().length - 1; lane >= 0 && (count < readings || freed < excessBytes); lane--) {
                long after = 0;
                boolean more = true;
                while (more && (count < readings || freed < excessBytes)) {
                    select.setInt(1, lane);
                    select.setLong(2, after);
                    more = false;
                    try (ResultSet r = select.executeQuery()) {
                        while ((count < readings || freed < excessBytes) && r.next()) {
                            more = true;
                            after = r.getLong(1);
                            if (dropGuard.droppable(after)) {
                                chosen.add(after);
                                freed += r.getLong(2);
                                count++;
                                byLane[lane]++;
                            }
                        }
                    }
                }
            }
        }
        if (count < readings || freed < excessBytes) {
            return new Dropped(0, 0, new long[byLane.length]);
        }
        try (PreparedStatement delete = db.prepareStatement("DELETE FROM readings WHERE seq BETWEEN ? AND ?")) {
            chosen.forEachRun((from, to) -> {
                delete.setLong(1, from);
                delete.setLong(2, to);
                delete.executeUpdate();
            });
        }
        seqs.addAll(chosen);
        return new Dropped(count, freed, byLane);
    }

    /** Up to {@code limit} readings of {@code lane} stored after {@code seq} (0: from the oldest), oldest first. */
    public List<StoredReading> after(Lane lane, long seq, int limit) {
        synchronized (readLock) {
            return readAfter(lane, seq, limit);
        }
    }

    private List<StoredReading> readAfter(Lane lane, long seq, int limit) {
        List<StoredReading> readings = new ArrayList<>(Math.min(limit, 1024));
        try {
            if (selectAfter == null) {
                selectAfter = reader.prepareStatement("SELECT seq, message_id, kind, topic, accepted_at, envelope,"
                        + " expires_at FROM readings WHERE lane = ? AND seq > ? ORDER BY seq LIMIT ?");
            }
            selectAfter.setInt(1, lane.code());
            selectAfter.setLong(2, seq);
            selectAfter.setInt(3, limit);
            try (ResultSet r = selectAfter.executeQuery()) {
                while (r.next()) {
                    readings.add(new StoredReading(r.getLong(1), r.getString(2), r.getString(3), r.getString(4),
                            r.getLong(5), r.getBytes(6), lane, r.getLong(7)));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the outbox: " + e.getMessage(), e);
        }
        return readings;
    }

    /**
     * Removes readings once they are acknowledged (or kept as dead letters), in one transaction that is not forced
     * to disk: a power cut right after it can only send a few acknowledged readings again, with their message_id.
     */
    public void removeAll(List<StoredReading> done) {
        removeAll(done.stream().mapToLong(StoredReading::seq).toArray());
    }

    /** Removes the readings with these {@code seqs} (in any order) as published, like {@link #removeAll(List)}. */
    public void removeAll(long[] seqs) {
        finish(seqs, new long[0], null);
    }

    /** What a transaction of the ledger's removed, told while the writer lock is still held. */
    interface Committed {
        void removed(long[] seqs);
    }

    /**
     * Removes readings that are done, {@code published} (their PUBACK came) and {@code deadLettered} (kept in the
     * dead-letter directory), counting them into the books in the same transaction, which is not forced to disk: a
     * power cut right after it can only send a few acknowledged readings again, with their message_id. One
     * statement per run of consecutive seqs; the caller keeps each call bounded.
     *
     * @param committed told, under the writer lock, once the removal is committed (null: nobody)
     * @throws OutboxStorageException when SQLite cannot write the removal (a full disk): nothing was removed
     */
    public void finish(long[] published, long[] deadLettered, Committed committed) {
        writer.lock();
        try {
            faults.before("finish");
            synchronous("NORMAL");
            db.setAutoCommit(false);
            if (delete == null) {
                measure = db.prepareStatement("SELECT lane, COUNT(*), COALESCE(SUM(LENGTH(envelope)), 0) FROM readings"
                        + " WHERE seq BETWEEN ? AND ? GROUP BY lane");
                delete = db.prepareStatement("DELETE FROM readings WHERE seq BETWEEN ? AND ?");
            }
            long[] removed = new long[Lane.values().length];
            long[] freed = new long[1];
            long publishedNow = removeRuns(published, removed, freed);
            long deadLetteredNow = removeRuns(deadLettered, removed, freed);
            book("published", publishedNow);
            book("dead_lettered", deadLetteredNow);
            db.commit();
            removed(removed, freed[0]);
            storageWorks(true);
            LongRuns all = new LongRuns();
            all.addAll(published);
            all.addAll(deadLettered);
            booksChanged(books.plus(0, publishedNow, deadLetteredNow, 0, 0), committed, all.toArray());
        } catch (SQLException e) {
            rollback();
            if (!fromSqlite(e)) {
                throw new IllegalStateException("cannot remove readings from the outbox: " + e.getMessage(), e);
            }
            storageFailed(true, e, "published readings wait in memory for their removal, and are not sent again");
            throw refusal("remove published readings", e, 0);
        } finally {
            endUnforcedWrite();
        }
    }

    /** Deletes the rows with these seqs, run by run; returns how many there were (rows gone already do not count). */
    private long removeRuns(long[] seqs, long[] removedByLane, long[] freed) throws SQLException {
        LongRuns runs = new LongRuns();
        runs.addAll(seqs);
        long[] count = new long[1];
        // PUBACKs come in the outbox's order, so the acknowledged readings are mostly runs of consecutive seqs
        runs.forEachRun((from, to) -> {
            measure.setLong(1, from);
            measure.setLong(2, to);
            try (ResultSet r = measure.executeQuery()) {
                while (r.next()) {
                    removedByLane[r.getInt(1)] += r.getLong(2);
                    count[0] += r.getLong(2);
                    freed[0] += r.getLong(3);
                }
            }
            delete.setLong(1, from);
            delete.setLong(2, to);
            delete.executeUpdate();
        });
        return count[0];
    }

    /**
     * Ends a transaction that was not forced to disk (the caller holds the writer lock, taken for it): writes are
     * forced again, and the next append may go.
     */
    private void endUnforcedWrite() {
        autoCommit();
        try {
            synchronous("FULL");
        } catch (SQLException e) {
            LOG.warn("cannot set synchronous=FULL on the outbox again: {}", e.getMessage());
        }
        writer.unlock();
        wakeNextAppend();
    }

    /** Readings left the outbox ({@code byLane} of each lane, {@code freed} bytes in all); under the writer lock. */
    private void removed(long[] byLane, long freed) {
        long all = 0;
        for (int lane = 0; lane < byLane.length; lane++) {
            laneDepth.addAndGet(lane, -byLane[lane]);
            all += byLane[lane];
        }
        depth -= all;
        bytes -= freed;
    }

    /** Expired readings not read yet are deleted this many at a time, each step its own transaction. */
    private static final int EXPIRY_STEP = 1_000;

    /**
     * Removes the readings whose time to live is up at {@code nowMillis}: those with {@code seqs} (read already and
     * found expired by the consumer) and, of each lane, those after {@code readUpTo[lane]} (not read yet), in bounded
     * transactions not forced to disk (one statement per run of seqs, at most {@value #EXPIRY_STEP} rows each), so
     * appends go between them. Says how many in one line, and counts them in {@link #expired()} and the books.
     *
     * @return how many readings left the outbox
     * @throws OutboxStorageException when SQLite cannot write (what was removed before stays removed, and counted)
     */
    public long expire(long nowMillis, long[] readUpTo, long[] seqs) {
        return expire(nowMillis, readUpTo, seqs, null);
    }

    long expire(long nowMillis, long[] readUpTo, long[] seqs, Committed committed) {
        long[] kinds = new long[2];
        try {
            long[] given = seqs.clone();
            Arrays.sort(given);
            for (int from = 0; from < given.length; from += EXPIRY_STEP) {
                long[] step = Arrays.copyOfRange(given, from, Math.min(given.length, from + EXPIRY_STEP));
                expireStep(nowMillis, step, kinds, committed);
            }
            for (;;) {
                long[] step = expiredNotRead(readUpTo, nowMillis);
                long before = kinds[0] + kinds[1];
                if (step.length > 0) {
                    expireStep(nowMillis, step, kinds, null);
                }
                if (step.length == 0 || kinds[0] + kinds[1] == before) {
                    break; // nothing more, or nothing of it could go (it changed meanwhile): the next sweep looks again
                }
            }
        } finally {
            long all = kinds[0] + kinds[1];
            if (all > 0) {
                LOG.warn("{} reading(s) expired in the outbox before they could be published ({} telemetry, {}"
                        + " event(s); uplink.outbox.ttl.*): they were removed unsent", all, kinds[0], kinds[1]);
            }
        }
        return kinds[0] + kinds[1];
    }

    /**
     * Up to {@value #EXPIRY_STEP} seqs whose time is up and that the reader has not read yet (above each lane's read
     * position), the soonest expired first: the expiry index, from its front, where each step deletes what it found,
     * so a sweep of a million expired rows reads each once.
     */
    private long[] expiredNotRead(long[] readUpTo, long nowMillis) {
        LongRuns found = new LongRuns();
        StringBuilder lanes = new StringBuilder();
        for (int lane = 0; lane < readUpTo.length; lane++) {
            lanes.append(lane == 0 ? "" : " OR ").append("(lane = ").append(lane).append(" AND seq > ?)");
        }
        synchronized (readLock) {
            // INDEXED BY: with an OR of lanes SQLite would rather walk (lane, seq) and sort, all rows each step
            try (PreparedStatement select = reader.prepareStatement("SELECT seq FROM readings INDEXED BY"
                    + " readings_by_expiry WHERE expires_at > 0 AND expires_at <= ? AND (" + lanes + ")"
                    + " ORDER BY expires_at LIMIT " + EXPIRY_STEP)) {
                select.setLong(1, nowMillis);
                for (int lane = 0; lane < readUpTo.length; lane++) {
                    select.setLong(2 + lane, readUpTo[lane]);
                }
                try (ResultSet r = select.executeQuery()) {
                    while (r.next()) {
                        found.add(r.getLong(1));
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException("cannot read the outbox: " + e.getMessage(), e);
            }
        }
        return found.toArray();
    }

    /** One transaction of {@link #expire}: the expired rows among {@code seqs} (ascending). */
    private void expireStep(long nowMillis, long[] seqs, long[] kinds, Committed committed) {
        writer.lock();
        try {
            faults.before("expire");
            synchronous("NORMAL");
            db.setAutoCommit(false);
            long[] byLane = new long[Lane.values().length];
            long[] freed = new long[1];
            long[] stepKinds = new long[2];
            LongRuns runs = new LongRuns();
            runs.addAll(seqs);
            LongRuns deleted = new LongRuns();
            // "+expires_at": SQLite must walk the seq range, not the expiry index (all of it, when all expired)
            try (PreparedStatement which = db.prepareStatement("SELECT seq FROM readings WHERE seq BETWEEN ? AND ?"
                    + " AND +expires_at > 0 AND +expires_at <= ?");
                 PreparedStatement count = db.prepareStatement("SELECT lane, kind, COUNT(*),"
                    + " COALESCE(SUM(LENGTH(envelope)), 0) FROM readings WHERE seq BETWEEN ? AND ? AND +expires_at > 0"
                    + " AND +expires_at <= ? GROUP BY lane, kind");
                 PreparedStatement delete = db.prepareStatement("DELETE FROM readings WHERE seq BETWEEN ? AND ?"
                         + " AND +expires_at > 0 AND +expires_at <= ?")) {
                runs.forEachRun((from, to) -> {
                    // only these leave: one a step re-based since it was found expired waits again
                    which.setLong(1, from);
                    which.setLong(2, to);
                    which.setLong(3, nowMillis);
                    try (ResultSet r = which.executeQuery()) {
                        while (r.next()) {
                            deleted.add(r.getLong(1));
                        }
                    }
                    count.setLong(1, from);
                    count.setLong(2, to);
                    count.setLong(3, nowMillis);
                    try (ResultSet r = count.executeQuery()) {
                        while (r.next()) {
                            byLane[r.getInt(1)] += r.getLong(3);
                            freed[0] += r.getLong(4);
                            stepKinds["event".equals(r.getString(2)) ? 1 : 0] += r.getLong(3);
                        }
                    }
                    delete.setLong(1, from);
                    delete.setLong(2, to);
                    delete.setLong(3, nowMillis);
                    delete.executeUpdate();
                });
            }
            long all = stepKinds[0] + stepKinds[1];
            book("expired", all);
            db.commit();
            removed(byLane, freed[0]);
            expired.addAndGet(all);
            kinds[0] += stepKinds[0];
            kinds[1] += stepKinds[1];
            booksChanged(books.plus(0, 0, 0, all, 0), committed, deleted.toArray());
        } catch (SQLException e) {
            rollback();
            throw new OutboxStorageException("cannot remove expired readings from the outbox (tried again later): "
                    + e.getMessage(), dataDir(), isDiskFull(e), freeBytes(), 0, e);
        } finally {
            endUnforcedWrite();
        }
    }

    /**
     * Re-bases the readings stored from {@code fromSeqInclusive} on by {@code deltaMillis}, after the wall clock was
     * stepped by that much: their accepted time, expiry (when they have one) and the number of their envelope's
     * leading {@code "timestamp":}, every other byte of it kept; message ids stay. One transaction under the writer
     * lock, one statement whatever the number of readings.
     *
     * @return the highest seq a reading was ever given here (0: none yet); with {@code deltaMillis} 0 nothing
     *         changes, so a caller learns where the readings of this run will begin (one after it)
     */
    public long rebase(long fromSeqInclusive, long deltaMillis) {
        writer.lock();
        try {
            db.setAutoCommit(false);
            if (deltaMillis != 0) {
                try (PreparedStatement move = db.prepareStatement(REBASE)) {
                    move.setLong(1, deltaMillis);
                    move.setLong(2, fromSeqInclusive);
                    move.executeUpdate();
                }
            }
            long last;
            try (Statement s = db.createStatement();
                 ResultSet r = s.executeQuery("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence"
                         + " WHERE name = 'readings'")) {
                last = r.next() ? r.getLong(1) : 0;
            }
            db.commit();
            return last;
        } catch (SQLException e) {
            rollback();
            throw new IllegalStateException("cannot re-base the outbox's readings after a clock step: "
                    + e.getMessage(), e);
        } finally {
            autoCommit();
            writer.unlock();
            wakeNextAppend();
        }
    }

    /**
     * {@link #rebase}'s statement: ?1 the step in milliseconds, ?2 the first seq. An envelope's timestamp is epoch
     * seconds with three decimals ({@code EnvelopeWriter.epochSeconds}), rewritten in whole milliseconds; an envelope
     * that does not begin so (none should) keeps its bytes.
     */
    private static final String REBASE;

    static {
        String text = "CAST(envelope AS TEXT)";
        String number = "substr(" + text + ", 14, instr(" + text + ", ',') - 14)";
        String millis = "(CAST(replace(" + number + ", '.', '') AS INTEGER) + ?1)";
        String rewritable = "substr(" + text + ", 1, 13) = '{\"timestamp\":' AND instr(" + text + ", ',') > 14"
                + " AND " + number + " GLOB '[0-9]*.[0-9][0-9][0-9]' AND " + number + " NOT GLOB '*[^0-9.]*'"
                + " AND " + millis + " >= 0";
        REBASE = "UPDATE readings SET accepted_at = accepted_at + ?1,"
                + " expires_at = CASE WHEN expires_at > 0 THEN expires_at + ?1 ELSE expires_at END,"
                + " envelope = CASE WHEN " + rewritable + " THEN CAST('{\"timestamp\":' || (" + millis + " / 1000)"
                + " || '.' || substr('00' || (" + millis + " % 1000), -3) || substr(" + text + ", instr(" + text
                + ", ',')) AS BLOB) ELSE envelope END"
                + " WHERE seq >= ?2";
    }

    /** Whether the outbox can write: {@code ok}, {@code full} (no space left) or {@code failing} (another error). */
    public record Storage(String state, String error, long sinceMillis) {
        static final Storage OK = new Storage("ok", null, 0);

        public boolean ok() {
            return error == null;
        }

        public boolean full() {
            return "full".equals(state);
        }
    }

    /**
     * Whether the outbox writes: {@code ok} once the last append and the last removal went through, else why the
     * one that failed (an append first) did, and since when.
     */
    public Storage storage() {
        Storage append = appends;
        return append.ok() ? removals : append;
    }

    /** The directory holding the database. */
    public Path dataDir() {
        return file.getParent();
    }

    /** A write transaction failed (the caller holds the writer lock): said once, when writing stops working. */
    private void storageFailed(boolean removal, SQLException e, String consequence) {
        Storage before = storage();
        Storage was = removal ? removals : appends;
        boolean full = isDiskFull(e);
        String error = e.getMessage();
        Storage now = new Storage(full ? "full" : "failing", error, was.ok() ? System.currentTimeMillis()
                : was.sinceMillis());
        if (removal) {
            removals = now;
        } else {
            appends = now;
        }
        if (before.ok()) {
            LOG.error("The outbox {} cannot write{} ({} bytes free in {}; SQLite: {}): {} while it cannot; it"
                            + " goes on by itself once it can (free space there)", file,
                    full ? ": its file system is full" : "", freeBytes(), dataDir(), error, consequence);
        } else {
            LOG.debug("The outbox still cannot write: {}", error);
        }
    }

    /** A write transaction went through (the caller holds the writer lock). */
    private void storageWorks(boolean removal) {
        Storage before = storage();
        if (removal) {
            removals = Storage.OK;
        } else {
            appends = Storage.OK;
        }
        if (!before.ok() && storage().ok()) {
            LOG.info("The outbox {} writes again (it could not for {} s): it takes new readings and removes the"
                    + " published ones", file, (System.currentTimeMillis() - before.sinceMillis()) / 1000);
        }
    }

    /**
     * Whether SQLite itself refused the write (a full disk, an I/O error, a read-only file...), rather than the
     * driver (a closed connection at shutdown): only the former is the storage's condition.
     */
    private static boolean fromSqlite(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLiteException) {
                return true;
            }
        }
        return false;
    }

    /** SQLITE_FULL, maybe inside the BatchUpdateException of an insert. */
    private static boolean isDiskFull(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLiteException s && s.getResultCode() == SQLiteErrorCode.SQLITE_FULL) {
                return true;
            }
        }
        return false;
    }

    private long freeBytes() {
        try {
            return Files.getFileStore(dataDir()).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    /** The refusal of a write ({@code what} it was to do, {@code bytes} of envelopes) that SQLite could not make. */
    private OutboxStorageException refusal(String what, SQLException e, long bytes) {
        boolean full = isDiskFull(e);
        long free = freeBytes();
        long needed = full ? bytes + WRITE_OVERHEAD_BYTES : 0;
        String message = full
                ? "the outbox cannot store readings: the file system of " + dataDir() + " is full (" + free
                        + " bytes free, at least " + needed + " more needed; SQLite: " + e.getMessage() + "): free"
                        + " space there; the readings accepted before are kept, and the outbox takes readings again"
                        + " by itself once there is room"
                : "the outbox cannot " + what + " in " + file + " (SQLite: " + e.getMessage() + "; " + free
                        + " bytes free in " + dataDir() + "): the readings accepted before are kept; try again later";
        return new OutboxStorageException(message, dataDir(), full, free, needed, e);
    }

    /** An append waiting for the transaction that stores it. */
    private static final class PendingAppend {
        final List<Entry> batch;
        final Thread thread = Thread.currentThread();
        volatile boolean settled;
        RuntimeException failure;

        PendingAppend(List<Entry> batch) {
            this.batch = batch;
        }

        void stored() {
            settled = true;
            LockSupport.unpark(thread);
        }

        void refused(RuntimeException why) {
            failure = why;
            settled = true;
            LockSupport.unpark(thread);
        }

        void rethrow() {
            if (failure != null) {
                throw failure;
            }
        }
    }

    private void synchronous(String level) throws SQLException {
        try (Statement s = db.createStatement()) {
            s.execute("PRAGMA synchronous=" + level);
        }
    }

    public long depth() {
        return depth;
    }

    public long bytes() {
        return bytes;
    }

    /** Readings dropped to make room since the start. */
    public long dropped() {
        return dropped.get();
    }

    /** Readings removed unsent since the start because their time to live was up. */
    public long expired() {
        return expired.get();
    }

    /** Seconds since the oldest reading waiting in {@code lane} was accepted (wall clock), 0 when none waits. */
    public double oldestAgeSeconds(Lane lane) {
        if (laneDepth.get(lane.code()) == 0) {
            return 0;
        }
        synchronized (readLock) {
            try (PreparedStatement oldest = reader.prepareStatement(
                    "SELECT accepted_at FROM readings WHERE lane = ? ORDER BY seq LIMIT 1")) {
                oldest.setInt(1, lane.code());
                try (ResultSet r = oldest.executeQuery()) {
                    return r.next() ? Math.max(0, System.currentTimeMillis() - r.getLong(1)) / 1000.0 : 0;
                }
            } catch (SQLException e) {
                return 0;
            }
        }
    }

    /** Readings waiting in {@code lane}. */
    public long depth(Lane lane) {
        return laneDepth.get(lane.code());
    }

    /**
     * The ids of the readings this outbox accepts from now on: the family recorded in it, or a new one (a new
     * outbox, or one bound to another broker since), whose counts go on after what a run before reserved.
     */
    public MessageIds messageIds() {
        writer.lock();
        try {
            if (messageIds == null) {
                messageIds = loadMessageIds();
            }
            return messageIds;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the message ids of the outbox " + file + ": "
                    + e.getMessage(), e);
        } finally {
            writer.unlock();
        }
    }

    private MessageIds loadMessageIds() throws SQLException {
        try (Statement s = db.createStatement()) {
            s.execute(MESSAGE_IDS_TABLE);
            try (ResultSet r = s.executeQuery("SELECT prefix, reserved_to FROM message_ids LIMIT 1")) {
                if (r.next()) {
                    return new MessageIds(r.getString(1), r.getLong(2), this::reserveMessageIds);
                }
            }
        }
        String prefix = MessageIds.newPrefix();
        try (PreparedStatement insert = db.prepareStatement(
                "INSERT INTO message_ids (prefix, reserved_to) VALUES (?, 0)")) {
            insert.setString(1, prefix);
            insert.executeUpdate();
        }
        LOG.debug("Outbox {}: the message ids of its readings start with {}", file, prefix);
        return new MessageIds(prefix, 0, this::reserveMessageIds);
    }

    /** Records on disk that the counts up to {@code upTo} may be in use, before any of them is. */
    private void reserveMessageIds(long upTo) {
        writer.lock();
        try (PreparedStatement update = db.prepareStatement("UPDATE message_ids SET reserved_to = ?")) {
            update.setLong(1, upTo);
            update.executeUpdate();
        } catch (SQLException e) {
            // as an append would be: the reading is refused (HTTP 507, the inbox file waits)
            if (fromSqlite(e)) {
                throw refusal("reserve message ids", e, 0);
            }
            throw new IllegalStateException("cannot reserve message ids in the outbox: " + e.getMessage(), e);
        } finally {
            writer.unlock();
            wakeNextAppend();
        }
    }

    /** How many readings were stored in {@code lane} since the start: when it changes, there is more to read. */
    long appended(Lane lane) {
        return appended.get(lane.code());
    }

    private void rollback() {
        try {
            db.rollback();
        } catch (SQLException e) {
            LOG.debug("rollback: {}", e.toString());
        }
    }

    private void autoCommit() {
        try {
            db.setAutoCommit(true);
        } catch (SQLException e) {
            LOG.debug("autocommit: {}", e.toString());
        }
    }

    @Override
    public void close() {
        writer.lock();
        try {
            synchronized (readLock) {
                reader.close();
            }
            db.close();
        } catch (SQLException e) {
            LOG.debug("closing the outbox: {}", e.toString());
        } finally {
            writer.unlock();
        }
    }
}
