package io.iotuplink.outbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.Reading;
import io.iotuplink.outbox.OutboxLedger.Failure;
import io.iotuplink.outbox.OutboxLedger.Unit;
import io.iotuplink.support.SimulatedClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The outbox's books balance at every step: random appends (both lanes, with and without a time to live, into a small
 * outbox that drops its oldest), hand-outs, PUBACKs, dead letters, failures, clock and back-off time passing, expiry
 * sweeps, removals that fail (a full disk) and restarts, driven against the ledger and a real store with a fake
 * publisher, and what was read ahead read again (a clock step). After every step accepted = published + dead-lettered + expired + dropped + buffered, each count agrees
 * with what the fake saw, no reading handed out or awaiting its removal is ever dropped or expired, and at the end
 * everything left goes out: no phantom backlog.
 */
class OutboxBooksPropertyTest {

    private static final String TOPIC = "bombercat/telemetry";

    @TempDir
    Path dir;

    /** What the fake publisher knows of a reading. */
    enum State { WAITING, OUT, PENDING_PUBLISHED, PENDING_DEAD, PUBLISHED, DEAD, GONE }

    private final Map<String, State> model = new HashMap<>();
    private final SimulatedClock wall = new SimulatedClock(Instant.parse("2026-12-08T00:00:00Z"));
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final BatchEnvelope batches = new BatchEnvelope(new ObjectMapper(), "gw-1", wall);
    private boolean diskFull;
    private int ids;
    private OutboxStore store;
    private OutboxLedger ledger;
    private final List<Unit> out = new ArrayList<>();

    @Test
    void theBooksBalanceAfterEveryStepOfRandomTraffic() {
        for (long seed = 1; seed <= 8; seed++) {
            run(seed, 150);
        }
    }

    private void run(long seed, int steps) {
        Random random = new Random(seed);
        model.clear();
        out.clear();
        diskFull = false;
        Path file = dir.resolve("outbox-" + seed + ".db");
        open(file);
        int batchMax = random.nextBoolean() ? 1 : 4;
        for (int step = 0; step < steps; step++) {
            String what = act(random, file, batchMax);
            check("seed " + seed + ", step " + step + " (" + what + ")");
        }
        // the link and the disk come back: everything left goes out, nothing stays behind
        diskFull = false;
        for (int round = 0; round < 400 && !(out.isEmpty() && ledger.books().rows() == 0); round++) {
            handOut(100, batchMax);
            for (Unit unit : List.copyOf(out)) {
                complete(unit, false);
            }
            ledger.removeFinished();
            advance(Duration.ofSeconds(30)); // past any back-off in a few rounds
            ledger.sweep();
        }
        check("seed " + seed + ", drained");
        assertEquals(0, ledger.books().rows(), "seed " + seed + ": nothing waits after the drain (no phantom backlog)");
        assertEquals(0, store.depth(), "seed " + seed + ": the store is empty");
        store.close();
    }

    private String act(Random random, Path file, int batchMax) {
        int dice = random.nextInt(100);
        if (dice < 30) {
            int n = 1 + random.nextInt(6);
            boolean event = random.nextInt(4) == 0;
            long ttl = random.nextInt(3) == 0 ? 1_000L * (1 + random.nextInt(20)) : 0;
            append(n, event, ttl);
            return "append " + n;
        } else if (dice < 45) {
            handOut(1 + random.nextInt(4), batchMax);
            return "hand out";
        } else if (dice < 60 && !out.isEmpty()) {
            complete(out.get(random.nextInt(out.size())), random.nextInt(5) == 0);
            return "complete";
        } else if (dice < 68 && !out.isEmpty()) {
            Unit unit = out.remove(random.nextInt(out.size()));
            fail(unit, random.nextBoolean() ? Failure.PASSING : Failure.REPEATING);
            unit.readings().forEach(r -> model.put(r.messageId(), State.WAITING));
            return "fail";
        } else if (dice < 78) {
            advance(Duration.ofMillis(random.nextInt(6_000)));
            return "time";
        } else if (dice < 85) {
            ledger.sweep();
            return "sweep";
        } else if (dice < 93) {
            ledger.removeFinished();
            return "remove";
        } else if (dice < 96) {
            diskFull = !diskFull;
            return "disk full " + diskFull;
        } else if (dice < 98) {
            ledger.reread(); // a clock step re-based the rows
            return "reread";
        } else {
            restart(file);
            return "restart";
        }
    }

    private void open(Path file) {
        open(file, 40);
    }

    private void open(Path file, int maxReadings) {
        store = OutboxStore.open(file, maxReadings, 1L << 20, WhenFull.DROP_OLDEST);
        store.faults(write -> {
            if (diskFull && !"append".equals(write)) {
                throw new SQLiteException("database or disk is full (injected)", SQLiteErrorCode.SQLITE_FULL);
            }
        });
        ledger = new OutboxLedger(store, batches, wall, nanos::get);
    }

    /** The process stops: what was out or awaited its removal is back in the outbox, to go out again. */
    private void restart(Path file) {
        store.close();
        out.clear();
        model.replaceAll((id, state) -> switch (state) {
            case OUT, PENDING_PUBLISHED, PENDING_DEAD -> State.WAITING;
            default -> state;
        });
        open(file);
    }

    private List<PreparedReading> readings(int n, boolean event) {
        List<PreparedReading> readings = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = "r-" + ids++;
            readings.add(new PreparedReading(new Reading(event ? Reading.Kind.EVENT : Reading.Kind.TELEMETRY, id,
                    wall.millis(), event ? "alert" : null, JsonNodeFactory.instance.objectNode()),
                    ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8), TOPIC));
        }
        return readings;
    }

    private void append(int n, boolean event, long ttlMillis) {
        List<PreparedReading> readings = readings(n, event);
        long expiresAt = ttlMillis == 0 ? 0 : wall.millis() + ttlMillis;
        try {
            store.append(readings, null, r -> expiresAt);
        } catch (OutboxFullException e) {
            return; // refused whole (what it holds is handed out): not accepted
        }
        readings.forEach(r -> model.put(r.reading().messageId(), State.WAITING));
    }

    private void handOut(int units, int batchMax) {
        ledger.lock().lock();
        try {
            for (int i = 0; i < units; i++) {
                Unit unit = ledger.next(100, batchMax, 0).unit();
                if (unit == null) {
                    return;
                }
                for (StoredReading reading : unit.readings()) {
                    State was = model.get(reading.messageId());
                    assertEquals(State.WAITING, was, reading.messageId() + " handed out while " + was);
                    model.put(reading.messageId(), State.OUT);
                }
                out.add(unit);
            }
        } finally {
            ledger.lock().unlock();
        }
    }

    private void complete(Unit unit, boolean deadLetter) {
        out.remove(unit);
        ledger.lock().lock();
        try {
            ledger.completed(unit, deadLetter);
        } finally {
            ledger.lock().unlock();
        }
        unit.readings().forEach(r -> model.put(r.messageId(),
                deadLetter ? State.PENDING_DEAD : State.PENDING_PUBLISHED));
    }

    private void fail(Unit unit, Failure failure) {
        ledger.lock().lock();
        try {
            ledger.failed(unit, failure);
        } finally {
            ledger.lock().unlock();
        }
    }

    private void advance(Duration by) {
        wall.advance(by);
        nanos.addAndGet(by.toNanos());
    }

    private void check(String where) {
        Set<String> stored = new HashSet<>();
        for (Lane lane : Lane.values()) {
            store.after(lane, 0, 1_000_000).forEach(r -> stored.add(r.messageId()));
        }
        model.replaceAll((id, state) -> switch (state) {
            case WAITING -> stored.contains(id) ? State.WAITING : State.GONE; // expired or dropped
            case PENDING_PUBLISHED -> stored.contains(id) ? state : State.PUBLISHED;
            case PENDING_DEAD -> stored.contains(id) ? state : State.DEAD;
            default -> state;
        });
        for (Map.Entry<String, State> reading : model.entrySet()) {
            State state = reading.getValue();
            if (state == State.OUT) {
                assertTrue(stored.contains(reading.getKey()), where + ": " + reading.getKey()
                        + " was dropped or expired while handed out");
            }
            if (state == State.PUBLISHED || state == State.DEAD || state == State.GONE) {
                assertFalse(stored.contains(reading.getKey()), where + ": " + reading.getKey() + " is still stored");
            }
        }
        OutboxStore.Books books = ledger.books();
        assertTrue(books.balance(), where + ": " + books);
        assertEquals(model.size(), books.accepted(), where + ": accepted " + books);
        assertEquals(count(State.PENDING_PUBLISHED, State.PUBLISHED), books.published(), where + ": published " + books);
        assertEquals(count(State.PENDING_DEAD, State.DEAD), books.deadLettered(), where + ": dead letters " + books);
        assertEquals(count(State.GONE), books.expired() + books.dropped(), where + ": expired + dropped " + books);
        assertEquals(count(State.WAITING, State.OUT), books.rows(), where + ": buffered " + books);
    }

    private long count(State... states) {
        Set<State> wanted = Set.of(states);
        return model.values().stream().filter(wanted::contains).count();
    }

    @Test
    void thousandsOfExpiredReadingsHandedBackLeaveInBoundedStatementsAndAreCountedOnce() {
        open(dir.resolve("outbox.db"), 10_000);
        List<PreparedReading> readings = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            readings.add(new PreparedReading(new Reading(Reading.Kind.TELEMETRY, "x-" + i, wall.millis(), null,
                    JsonNodeFactory.instance.objectNode()), "{}".getBytes(StandardCharsets.UTF_8), TOPIC));
        }
        long expiresAt = wall.millis() + 20_000;
        store.append(readings, null, r -> expiresAt);
        ledger.lock().lock();
        Unit batch;
        try {
            batch = ledger.next(1, 2_500, 0).unit();
        } finally {
            ledger.lock().unlock();
        }
        assertEquals(2_500, batch.readings().size());
        fail(batch, Failure.PASSING); // one SQL term per seq of it was past SQLite's expression depth
        advance(Duration.ofSeconds(30));

        ledger.sweep();

        assertEquals(3_000, ledger.books().expired());
        assertEquals(0, ledger.books().rows(), "no phantom backlog: nothing waits");
        assertEquals(0, store.depth());
        ledger.lock().lock();
        try {
            assertNull(ledger.next(1, 2_500, 0).unit(), "nothing to hand out");
        } finally {
            ledger.lock().unlock();
        }
        store.close();
    }

    @Test
    void dropOldestDropsOnlyWaitingReadingsNeverOneHandedOut() {
        open(dir.resolve("outbox.db"));
        append(40, false, 0);
        handOut(30, 1); // the 30 oldest are out, their PUBACKs still to come
        assertThrows(OutboxFullException.class, () -> store.append(readings(20, false)),
                "20 cannot make room: only 10 wait, the others are out");
        assertEquals(0, ledger.books().dropped(), "nothing dropped for a refused append");
        append(5, false, 0); // 5 of the 10 waiting go

        OutboxStore.Books books = ledger.books();
        assertEquals(30, out.size());
        for (Unit unit : out) {
            assertEquals(unit.firstSeq(), store.after(Lane.BULK, unit.firstSeq() - 1, 1).get(0).seq(),
                    "a reading handed out is still stored");
        }
        assertTrue(books.balance(), books.toString());
        assertEquals(5, books.dropped(), books.toString());
        for (Unit unit : List.copyOf(out)) {
            complete(unit, false);
        }
        ledger.removeFinished();
        books = ledger.books();
        assertEquals(30, books.published(), "published + dropped never exceed what was accepted: " + books);
        assertTrue(books.balance(), books.toString());
        store.close();
    }
}
