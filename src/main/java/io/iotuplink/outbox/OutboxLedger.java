package io.iotuplink.outbox;

import io.iotuplink.config.Backoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The one owner of what becomes of each stored reading while the bundle runs, under one lock: waiting (in the store;
 * the oldest of each lane read ahead into memory), handed out (in a unit the consumer runs), parked after a failure
 * (with its own back-off), published or dead-lettered and awaiting removal, expiring. The consumer asks it for the
 * next unit and reports each unit's outcome; the removals and the expiry sweep write to the store outside the lock, in
 * bounded steps, and a write that fails is retried from this state, never forgotten. Every count (in flight, awaiting
 * removal, the books of readings) is derived from it and the store's books.
 *
 * <p>Order: the priority lane (events, command answers) has at most one unit out, so events reach the broker in the
 * order they were accepted, retries included (a failed event holds back later events, never telemetry); the bulk
 * lane hands out oldest first, and a failed telemetry unit waits out its own back-off while newer ones go.
 */
final class OutboxLedger implements OutboxStore.DropGuard {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxLedger.class);
    private static final io.iotuplink.logging.RepeatedProblem BATCHES =
            io.iotuplink.logging.RepeatedProblem.warn(LOG, "Batches that could not be written");
    private static final int READ_AHEAD = 200;
    /** Published readings awaiting a removal that fails (a full disk) at most: then nothing more is handed out. */
    static final int MAX_AWAITING_REMOVAL = 200_000;
    /** Seqs removed per store transaction. */
    private static final int REMOVAL_STEP = 5_000;
    /** A unit whose exchange failed waits this back-off (its own), doubling with each failure. */
    private static final Backoff PARKED = new Backoff(true, Integer.MAX_VALUE, Duration.ofSeconds(1),
            Duration.ofSeconds(30), 2.0, 0.2);
    /** A unit that failed in a way that repeats (its dead letter cannot be written) waits longer, up to 5 minutes. */
    private static final Backoff POISONED = new Backoff(true, Integer.MAX_VALUE, Duration.ofSeconds(5),
            Duration.ofMinutes(5), 2.0, 0.2);
    /** How soon a failed removal or sweep is tried again: every 100 ms at first, then at most every 2 s. */
    private static final Backoff WRITE_RETRY = new Backoff(true, Integer.MAX_VALUE, Duration.ofMillis(100),
            Duration.ofSeconds(2), 2.0, 0.2);

    /** What one exchange carries: one reading's envelope, or a batch envelope with several. */
    record Unit(List<StoredReading> readings, String messageId, String kind, String topic, byte[] envelope,
            int batchSize, Lane lane) {

        /** When the first of its readings expires (epoch milliseconds), 0 when none does. */
        long expiresAtMillis() {
            return readings.stream().mapToLong(StoredReading::expiresAtMillis).filter(at -> at > 0).min().orElse(0);
        }

        long firstSeq() {
            return readings.get(0).seq();
        }
    }

    /** How a unit's exchange failed, as the consumer reports it. */
    enum Failure {
        /** The link or the broker (no connection, no PUBACK in time, 0x97): goes again after its back-off. */
        PASSING,
        /** A failure that repeats whatever the link does (its dead letter cannot be written): a long back-off. */
        REPEATING,
        /** A batch over what one publish may carry at the rate kept now: batched again, smaller, at once. */
        TOO_LARGE
    }

    /** A unit given back after a failure: it goes again, first in its lane, once {@code dueNanos} has come. */
    private record Parked(Unit unit, int failures, long dueNanos) {
    }

    /** One lane's readings read ahead from the store, and where reading it stands. */
    private static final class LaneState {
        final Lane lane;
        final ArrayDeque<StoredReading> ahead = new ArrayDeque<>();
        /** Units of this lane given back, oldest first. */
        final List<Parked> parked = new ArrayList<>();
        /** The newest reading of this lane read from the store. */
        long newestRead;
        /** {@link OutboxStore#appended} when reading on found nothing: no need to ask again before it changes. */
        long exhaustedAt = -1;
        /** When the lane last went from nothing read ahead to something (monotonic): a batch waits from then. */
        long waitingSinceNanos;
        /** Units of this lane handed out and not settled. */
        int out;
        /** After {@link #reread()}: seqs up to {@link #skipUntil} the ledger holds otherwise (out, parked, done). */
        Set<Long> skip = Set.of();
        long skipUntil;

        LaneState(Lane lane) {
            this.lane = lane;
        }
    }

    private final OutboxStore store;
    private final BatchEnvelope batches;
    private final Clock clock;
    private final LongSupplier nanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final LaneState[] lanes;
    /** Units handed out and not settled. */
    private final Set<Unit> out = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    /** Seqs of readings handed out, or published or dead-lettered and not removed yet: never dropped nor expired. */
    private final Set<Long> held = new HashSet<>();
    /** Failures so far of the units given back, by their first seq. */
    private final Map<Long, Integer> failures = new HashMap<>();
    /** Readings whose PUBACK came (or that became dead letters), awaiting their removal from the store. */
    private LongRuns published = new LongRuns();
    private LongRuns deadLettered = new LongRuns();
    /** Readings found expired, awaiting their removal. */
    private LongRuns expiring = new LongRuns();
    /** The wall clock's time at the last look outside the lock, and the monotonic time of that look. */
    private record Look(long wallMillis, long nanos) {
    }

    /** None yet: until the first look nothing is judged expired (0 is long before any expiry). */
    private volatile Look look = new Look(0, 0);
    private int peak;
    private int removalFailures;
    private long removalRetryAtNanos;
    private int sweepFailures;
    private long sweepRetryAtNanos;

    OutboxLedger(OutboxStore store, BatchEnvelope batches, Clock clock, LongSupplier nanos) {
        this.store = store;
        this.batches = batches;
        this.clock = clock;
        this.nanos = nanos;
        this.lanes = Arrays.stream(Lane.values()).map(LaneState::new).toArray(LaneState[]::new);
        long now = nanos.getAsLong();
        this.removalRetryAtNanos = now;
        this.sweepRetryAtNanos = now;
        this.look = new Look(0, now);
        // no look at the clock here: it may be made under a monitor the clock's own re-base waits for
        store.dropGuard(this);
    }

    /**
     * Reads the wall clock, outside the lock: the clock given may look for a step of its own and re-base the store
     * (under the store's writer lock, which the store holds while it holds this ledger's lock to drop), so under the
     * lock the ledger only extrapolates from the last look with monotonic time ({@link #wallNow()}).
     */
    void lookAtClock() {
        long millis = clock.millis();
        look = new Look(millis, nanos.getAsLong());
    }

    /** The wall clock's time as of the last look, moved on by monotonic time since. */
    private long wallNow() {
        Look last = look;
        return last.wallMillis() + TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong() - last.nanos());
    }

    /** The lock the consumer's threads wait under; the ledger's state is only touched while it is held. */
    ReentrantLock lock() {
        return lock;
    }

    /** Signalled when something changed that may let a waiting thread hand out. */
    Condition changed() {
        return changed;
    }

    /** The result of asking for the next unit: the unit, or how long to wait before asking again. */
    record Next(Unit unit, long waitNanos) {
    }

    private static final Next IDLE = new Next(null, Long.MAX_VALUE);

    /**
     * The next unit to hand out while fewer than {@code limit} are out (the caller holds the lock), counted out; or
     * null with how long nothing will be (a parked unit's back-off, a batch filling), {@link Long#MAX_VALUE} when only
     * new readings or a settled unit can change that.
     */
    Next next(int limit, int batchMax, long batchDelayNanos) {
        return next(limit, batchMax, batchDelayNanos, false);
    }

    /**
     * {@link #next(int, int, long)}; while {@code bulkHeld} (the quota's line is full) only the priority lane hands
     * out: the bulk lane's readings wait in the outbox, where the lanes decide what goes next.
     */
    Next next(int limit, int batchMax, long batchDelayNanos, boolean bulkHeld) {
        if (out.size() >= limit || published.size() + deadLettered.size() >= MAX_AWAITING_REMOVAL) {
            return IDLE;
        }
        long now = nanos.getAsLong();
        long wait = Long.MAX_VALUE;
        for (LaneState lane : lanes) {
            boolean strict = lane.lane == Lane.PRIORITY;
            if (strict && lane.out > 0 || !strict && bulkHeld) {
                continue; // one event at a time: they reach the broker in their order
            }
            // the oldest parked unit that is due (in the priority lane only the oldest of all: events keep their order)
            for (int i = 0; i < lane.parked.size(); i++) {
                Parked parked = lane.parked.get(i);
                if (parked.dueNanos() - now > 0) {
                    wait = Math.min(wait, parked.dueNanos() - now);
                    if (strict) {
                        break;
                    }
                    continue;
                }
                lane.parked.remove(i);
                return new Next(handOut(lane, parked.unit()), 0);
            }
            if (strict && !lane.parked.isEmpty()) {
                continue; // a retried event holds back later events
            }
            dropExpired(lane);
            if (lane.ahead.isEmpty()) {
                readAhead(lane, batchMax);
                dropExpired(lane);
            }
            if (lane.ahead.isEmpty()) {
                continue;
            }
            Unit unit = nextUnit(lane, batchMax, batchDelayNanos, now);
            if (unit != null) {
                return new Next(handOut(lane, unit), 0);
            }
            wait = Math.min(wait, Math.max(1, lane.waitingSinceNanos + batchDelayNanos - now));
        }
        return wait == Long.MAX_VALUE ? IDLE : new Next(null, wait);
    }

    private Unit handOut(LaneState lane, Unit unit) {
        out.add(unit);
        lane.out++;
        peak = Math.max(peak, out.size());
        unit.readings().forEach(r -> held.add(r.seq()));
        return unit;
    }

    /**
     * The lane's oldest reading, or its oldest telemetry run as a batch (in the bulk lane: the priority lane does not
     * wait for a batch to fill); null while a batch may still fill.
     */
    private Unit nextUnit(LaneState lane, int batchMax, long batchDelayNanos, long now) {
        ArrayDeque<StoredReading> ahead = lane.ahead;
        StoredReading first = ahead.peekFirst();
        if (batchMax <= 1 || lane.lane == Lane.PRIORITY || !"telemetry".equals(first.kind())) {
            ahead.pollFirst();
            return new Unit(List.of(first), first.messageId(), first.kind(), first.topic(), first.envelope(), 0,
                    lane.lane);
        }
        List<StoredReading> run = telemetryRun(ahead, batchMax);
        if (run.size() < batchMax && run.size() == ahead.size()) {
            readAhead(lane, batchMax);
            dropExpired(lane);
            if (ahead.isEmpty()) {
                return null;
            }
            first = ahead.peekFirst();
            run = telemetryRun(ahead, batchMax);
        }
        if (run.size() < batchMax && run.size() == ahead.size() && now - lane.waitingSinceNanos < batchDelayNanos) {
            return null;
        }
        BatchEnvelope.Batch batch;
        try {
            batch = batches.write(run);
        } catch (RuntimeException e) {
            // a stored envelope that is not JSON (salvaged from a damaged outbox): its readings go one by one, as
            // they are stored, and the consumer sets aside one that cannot be published
            BATCHES.report(e.getClass().getName(), "{} readings could not be written as a batch ({}): they go out one"
                    + " by one", run.size(), e.getMessage());
            ahead.pollFirst();
            return new Unit(List.of(first), first.messageId(), first.kind(), first.topic(), first.envelope(), 0,
                    lane.lane);
        }
        for (int i = 0; i < batch.readings().size(); i++) {
            ahead.pollFirst();
        }
        return new Unit(batch.readings(), batch.messageId(), "telemetry", first.topic(), batch.envelope(),
                batch.readings().size(), lane.lane);
    }

    private static List<StoredReading> telemetryRun(ArrayDeque<StoredReading> ahead, int batchMax) {
        List<StoredReading> run = new ArrayList<>(Math.min(batchMax, ahead.size()));
        for (StoredReading reading : ahead) {
            if (run.size() == batchMax || !"telemetry".equals(reading.kind())) {
                break;
            }
            run.add(reading);
        }
        return run;
    }

    /** A parked batch's readings wait again in the lane, in the outbox's order, to be batched anew. */
    private void unbatch(LaneState lane, Parked parked) {
        failures.remove(parked.unit().firstSeq());
        List<StoredReading> all = new ArrayList<>(parked.unit().readings());
        all.addAll(lane.ahead);
        all.sort(java.util.Comparator.comparingLong(StoredReading::seq));
        lane.ahead.clear();
        lane.ahead.addAll(all);
    }

    /**
     * Reads on from the newest reading read so far: a reading is read once; a failed one comes back parked. After
     * {@link #reread()}, reads on past what it skips until it finds something or the lane's end.
     */
    private void readAhead(LaneState lane, int batchMax) {
        int before = lane.ahead.size();
        do {
            readMore(lane, batchMax);
        } while (lane.ahead.size() == before && !lane.skip.isEmpty() && lane.exhaustedAt == -1);
    }

    private void readMore(LaneState lane, int batchMax) {
        long appended = store.appended(lane.lane);
        if (appended == lane.exhaustedAt) {
            return; // nothing stored in this lane since it was found read to its end
        }
        List<StoredReading> more = store.after(lane.lane, lane.newestRead, Math.max(READ_AHEAD, batchMax));
        if (more.isEmpty()) {
            lane.exhaustedAt = appended;
            lane.skip = Set.of();
            return;
        }
        lane.newestRead = more.get(more.size() - 1).seq();
        if (lane.ahead.isEmpty()) {
            lane.waitingSinceNanos = nanos.getAsLong();
        }
        if (lane.skip.isEmpty()) {
            lane.ahead.addAll(more);
        } else {
            Set<Long> skip = lane.skip;
            more.stream().filter(r -> !skip.contains(r.seq())).forEach(lane.ahead::add);
            if (lane.newestRead >= lane.skipUntil) {
                lane.skip = Set.of();
            }
        }
    }

    /**
     * Forgets what was read ahead and reads it again from the store (its rows changed: a clock step re-based their
     * times); readings out, parked, done or expiring are not read again.
     */
    void reread() {
        lookAtClock(); // the step's new time, for what is judged under the lock from now on
        lock.lock();
        try {
            Set<Long> known = new HashSet<>(held);
            for (long seq : expiring.toArray()) {
                known.add(seq);
            }
            for (LaneState lane : lanes) {
                lane.parked.forEach(p -> p.unit().readings().forEach(r -> known.add(r.seq())));
            }
            for (LaneState lane : lanes) {
                // from the lane's start: what this run holds otherwise is skipped, the rest is read again
                lane.skip = known;
                lane.skipUntil = Math.max(lane.skipUntil, lane.newestRead);
                lane.newestRead = 0;
                lane.exhaustedAt = -1;
                lane.ahead.clear();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Readings at the head of the lane whose time is up are not handed out: they go with the next sweep. */
    private void dropExpired(LaneState lane) {
        long now = wallNow();
        for (StoredReading head; (head = lane.ahead.peekFirst()) != null && head.expiredAt(now); ) {
            expiring.add(lane.ahead.pollFirst().seq());
        }
    }

    /** The unit's PUBACK came, or it became a dead letter: its readings await their removal (the caller holds the lock). */
    void completed(Unit unit, boolean deadLetter) {
        if (!settle(unit)) {
            return;
        }
        failures.remove(unit.firstSeq());
        for (StoredReading reading : unit.readings()) {
            (deadLetter ? deadLettered : published).add(reading.seq());
        }
    }

    /**
     * The unit's exchange failed: it goes again first in its lane after its own back-off, longer each time (the
     * caller holds the lock).
     *
     * @return the failures of this unit so far, this one included
     */
    int failed(Unit unit, Failure failure) {
        if (!settle(unit)) {
            return 0;
        }
        unit.readings().forEach(r -> held.remove(r.seq()));
        if (failure == Failure.TOO_LARGE) {
            LaneState lane = lanes[unit.lane().code()];
            if (unit.readings().size() == 1) {
                // a reading alone over the rate's batch size goes as a single publish, which is never refused so
                StoredReading only = unit.readings().get(0);
                park(new Parked(new Unit(List.of(only), only.messageId(), only.kind(), only.topic(), only.envelope(),
                        0, unit.lane()), 0, nanos.getAsLong()));
            } else {
                unbatch(lane, new Parked(unit, 0, 0));
            }
            return 0;
        }
        int count = failures.merge(unit.firstSeq(), 1, Integer::sum);
        Backoff backoff = failure == Failure.REPEATING ? POISONED : PARKED;
        park(new Parked(unit, count, nanos.getAsLong() + backoff.delay(count, Duration.ZERO).toNanos()));
        return count;
    }

    /** Puts a unit among its lane's parked ones, in the outbox's order. */
    private void park(Parked unit) {
        List<Parked> parked = lanes[unit.unit().lane().code()].parked;
        int at = 0;
        while (at < parked.size() && parked.get(at).unit().firstSeq() < unit.unit().firstSeq()) {
            at++;
        }
        parked.add(at, unit);
    }

    /** Takes the unit out of what is out; false when it was not (given back by {@link #forgetOut()} already). */
    private boolean settle(Unit unit) {
        if (!out.remove(unit)) {
            return false;
        }
        lanes[unit.lane().code()].out--;
        changed.signal();
        return true;
    }

    /**
     * The consumer stopped with units still out whose exchanges may never settle: they wait again (parked, due now),
     * so the next consumer sends them; should an old exchange still settle, it is ignored (at least once).
     */
    void forgetOut() {
        lock.lock();
        try {
            for (Unit unit : List.copyOf(out)) {
                out.remove(unit);
                lanes[unit.lane().code()].out--;
                unit.readings().forEach(r -> held.remove(r.seq()));
                // a copy: should the old exchange still settle, it no longer matches what is out
                park(new Parked(new Unit(unit.readings(), unit.messageId(), unit.kind(), unit.topic(), unit.envelope(),
                        unit.batchSize(), unit.lane()), failures.getOrDefault(unit.firstSeq(), 0), nanos.getAsLong()));
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether published readings are due for their removal (a failed removal waits for its back-off). */
    boolean removalDue() {
        lock.lock();
        try {
            return published.size() + deadLettered.size() > 0 && nanos.getAsLong() - removalRetryAtNanos >= 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes from the store what was published or dead-lettered so far, in bounded transactions, outside the lock (the
     * store tells the ledger under its writer lock what each one removed). A removal that fails keeps them, to try again
     * after a back-off: they are not sent again meanwhile.
     */
    void removeFinished() {
        long[] done;
        long[] dead;
        lock.lock();
        try {
            done = published.toArray();
            dead = deadLettered.toArray();
        } finally {
            lock.unlock();
        }
        try {
            for (int from = 0; from < done.length; from += REMOVAL_STEP) {
                store.finish(Arrays.copyOfRange(done, from, Math.min(done.length, from + REMOVAL_STEP)), new long[0],
                        this::removed);
            }
            for (int from = 0; from < dead.length; from += REMOVAL_STEP) {
                store.finish(new long[0], Arrays.copyOfRange(dead, from, Math.min(dead.length, from + REMOVAL_STEP)),
                        this::removed);
            }
        } catch (RuntimeException e) {
            lock.lock();
            try {
                removalFailures++;
                removalRetryAtNanos = nanos.getAsLong() + WRITE_RETRY.delay(removalFailures, Duration.ZERO).toNanos();
                if (removalFailures == 1) {
                    LOG.warn("{} published reading(s) cannot be removed from the outbox: they are not sent again"
                            + " while the bundle runs (after a restart they would be, with their message_id), and"
                            + " their removal is tried again every {} s at most: {}", awaitingRemovalLocked(),
                            WRITE_RETRY.maxDelay().toSeconds(), e.getMessage());
                }
            } finally {
                lock.unlock();
            }
            return;
        }
        lock.lock();
        try {
            if (removalFailures > 0) {
                LOG.info("The published readings that waited for their removal left the outbox");
            }
            removalFailures = 0;
        } finally {
            lock.unlock();
        }
    }

    /** The store committed the removal of these seqs (called under its writer lock). */
    private void removed(long[] seqs) {
        lock.lock();
        try {
            Set<Long> gone = new HashSet<>(seqs.length * 2);
            for (long seq : seqs) {
                gone.add(seq);
                held.remove(seq);
            }
            published = without(published, gone);
            deadLettered = without(deadLettered, gone);
            expiring = without(expiring, gone);
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    private static LongRuns without(LongRuns runs, Set<Long> gone) {
        LongRuns kept = new LongRuns();
        for (long seq : runs.toArray()) {
            if (!gone.contains(seq)) {
                kept.add(seq);
            }
        }
        return kept;
    }

    /** Whether the expiry sweep is due, its last failure's back-off past. */
    boolean sweepDue() {
        return nanos.getAsLong() - sweepRetryAtNanos >= 0;
    }

    /**
     * Removes the readings whose time to live is up: those read ahead or parked are taken out of the hand-out under the
     * lock, then deleted with those not read yet, outside it, in bounded steps. What a failed step could not delete is
     * kept, and tried again.
     */
    void sweep() {
        lookAtClock(); // a step is re-based before anything is judged expired
        long now = look.wallMillis();
        long[] readUpTo;
        long[] seqs;
        lock.lock();
        try {
            for (LaneState lane : lanes) {
                for (Iterator<StoredReading> it = lane.ahead.iterator(); it.hasNext(); ) {
                    StoredReading reading = it.next();
                    if (reading.expiredAt(now)) {
                        expiring.add(reading.seq());
                        it.remove();
                    }
                }
                for (Iterator<Parked> it = lane.parked.iterator(); it.hasNext(); ) {
                    Parked parked = it.next();
                    if (parked.unit().readings().stream().allMatch(r -> r.expiredAt(now))) {
                        parked.unit().readings().forEach(r -> expiring.add(r.seq()));
                        failures.remove(parked.unit().firstSeq());
                        it.remove();
                    }
                }
            }
            // after a re-read, up to where it was read before: readings held there are not the sweep's to remove
            readUpTo = Arrays.stream(lanes).mapToLong(lane -> Math.max(lane.newestRead,
                    lane.skip.isEmpty() ? 0 : lane.skipUntil)).toArray();
            seqs = expiring.toArray();
        } finally {
            lock.unlock();
        }
        long retryAt = nanos.getAsLong() + EXPIRY_PERIOD_NANOS;
        try {
            store.expire(now, readUpTo, seqs, this::removed);
            boolean stillThere;
            lock.lock();
            try {
                // found expired but not removed as such: a drop or a removal took them, or a clock step re-based
                // them since (their stored expiry moved on): those wait again
                LongRuns left = new LongRuns();
                Set<Long> given = toSet(seqs);
                for (long seq : expiring.toArray()) {
                    if (given.contains(seq)) {
                        left.add(seq);
                    }
                }
                expiring = without(expiring, given);
                stillThere = left.size() > 0;
                sweepFailures = 0;
            } finally {
                lock.unlock();
            }
            if (stillThere) {
                reread();
            }
        } catch (RuntimeException e) {
            sweepFailures++;
            retryAt = nanos.getAsLong() + WRITE_RETRY.delay(sweepFailures, Duration.ZERO).toNanos();
            if (sweepFailures == 1) {
                LOG.warn("Expired readings cannot be removed from the outbox now (they are not sent; tried again): {}",
                        e.getMessage());
            }
        }
        sweepRetryAtNanos = retryAt;
    }

    /** How often readings whose time to live is up are looked for. */
    static final long EXPIRY_PERIOD_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static Set<Long> toSet(long[] seqs) {
        Set<Long> set = new HashSet<>(seqs.length * 2);
        for (long seq : seqs) {
            set.add(seq);
        }
        return set;
    }

    @Override
    public void hold() {
        lock.lock();
    }

    @Override
    public void release() {
        lock.unlock();
    }

    @Override
    public boolean droppable(long seq) {
        return !held.contains(seq);
    }

    @Override
    public void dropped(long[] seqs) {
        Set<Long> gone = toSet(seqs);
        for (LaneState lane : lanes) {
            lane.ahead.removeIf(r -> gone.contains(r.seq()));
            List<StoredReading> left = new ArrayList<>();
            lane.parked.removeIf(p -> {
                List<StoredReading> readings = p.unit().readings();
                if (readings.stream().noneMatch(r -> gone.contains(r.seq()))) {
                    return false;
                }
                // a parked unit partly dropped is undone: what is left waits again, oldest first, to be batched anew
                failures.remove(p.unit().firstSeq());
                readings.stream().filter(r -> !gone.contains(r.seq())).forEach(left::add);
                return true;
            });
            if (!left.isEmpty()) {
                left.addAll(lane.ahead);
                left.sort(java.util.Comparator.comparingLong(StoredReading::seq));
                lane.ahead.clear();
                lane.ahead.addAll(left);
            }
        }
        expiring = without(expiring, gone);
    }

    /** Units out now. */
    int inFlight() {
        lock.lock();
        try {
            return out.size();
        } finally {
            lock.unlock();
        }
    }

    int peakInFlight() {
        lock.lock();
        try {
            return peak;
        } finally {
            lock.unlock();
        }
    }

    /** Readings published or dead-lettered whose removal from the store has not happened yet. */
    int awaitingRemoval() {
        lock.lock();
        try {
            return awaitingRemovalLocked();
        } finally {
            lock.unlock();
        }
    }

    private int awaitingRemovalLocked() {
        return published.size() + deadLettered.size();
    }

    /** Readings parked after a failure, waiting for their own back-off. */
    int parked() {
        lock.lock();
        try {
            return Arrays.stream(lanes).mapToInt(l -> l.parked.stream().mapToInt(p -> p.unit().readings().size())
                    .sum()).sum();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The books as they stand: the store's, with the readings published or dead-lettered and not removed yet moved from
     * buffered to where they belong. {@code rows} is then what waits.
     */
    OutboxStore.Books books() {
        lock.lock();
        try {
            OutboxStore.Books stored = store.books();
            long done = published.size();
            long dead = deadLettered.size();
            return new OutboxStore.Books(stored.accepted(), stored.published() + done,
                    stored.deadLettered() + dead, stored.expired(), stored.dropped(), stored.rows() - done - dead);
        } finally {
            lock.unlock();
        }
    }
}
