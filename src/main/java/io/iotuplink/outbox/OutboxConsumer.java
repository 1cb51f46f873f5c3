package io.iotuplink.outbox;

import io.iotuplink.config.Backoff;
import io.iotuplink.mqtt.MqttPublishProperties;
import io.iotuplink.mqtt.ReasonCodes;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.ShutdownRunningTask;
import org.apache.camel.component.paho.mqtt5.PahoMqtt5Constants;
import org.apache.camel.spi.ShutdownAware;
import org.apache.camel.support.DefaultConsumer;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;

/**
 * Hands out what the outbox holds, lane by lane (the priority lane before the bulk lane) and oldest first within a
 * lane, one exchange per reading (or per batch of telemetry readings),
 * while the connection is up, at most {@code maxInflight} at once and never more than the broker's receive
 * maximum. Threads of the {@code uplink-outbox} pool each take the next reading and run the route, whose producer
 * waits for the broker's answer, then take the next: the thread that settles one exchange starts the next, so a
 * publish costs no hand-over between threads. The pool starts with one thread and grows, up to {@code maxInflight},
 * only when a thread hands out an exchange while no other waits to take the next: it holds about as many threads
 * as publishes were ever awaiting their answer at once, plus one (a thread busy removing what completed may count
 * as one more), so a gateway's memory pays for the window it uses. A reading leaves the outbox when its exchange
 * completes; a failed exchange's readings are handed out again, before anything newer. A completed reading whose
 * removal fails (a full disk) is never handed out again in this run: it waits in memory for its removal, retried
 * with a back-off. A reading whose time to live is up is never handed out: it leaves the outbox, counted.
 */
public class OutboxConsumer extends DefaultConsumer implements ShutdownAware {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxConsumer.class);
    private static final int READ_AHEAD = 200;
    private static final long IDLE_MILLIS = 100;
    private static final long REMOVAL_PERIOD_NANOS = 50_000_000;
    /** How often readings whose time to live is up are looked for. */
    private static final long EXPIRY_PERIOD_NANOS = 1_000_000_000;
    /** How long the readings of a failed exchange wait before they go out again: a failing route never spins. */
    private static final long RETURN_PAUSE_MILLIS = 1_000;
    /** How soon a failed removal is tried again: every 100 ms at first, then at most every 2 s (space came back). */
    private static final Backoff REMOVAL_RETRY = new Backoff(true, Integer.MAX_VALUE, Duration.ofMillis(100),
            Duration.ofSeconds(2), 2.0, 0.2);
    private static final long[] NONE = new long[0];

    private final OutboxStore store;
    private final OutboxListener listener;
    private final BatchEnvelope batches;
    private final BooleanSupplier ready;
    private final BooleanSupplier quotaLineFull;
    private final IntSupplier limit;
    private final int threads;
    private final int batchMax;
    private final long batchDelayMillis;
    private final boolean gzip;
    private final Clock clock;

    /** Guards what is handed out: the fields below, up to {@link #completed}. */
    private final ReentrantLock handing = new ReentrantLock();
    /** Something changed that may let a waiting thread hand out: new readings, a settled exchange, a stop. */
    private final Condition changed = handing.newCondition();
    /** Each lane's readings read from the store and not handed out yet, in hand-out order. */
    private final LaneQueue[] lanes;
    /** Seqs of readings found expired when they were to be handed out, to remove with the next sweep. */
    private final List<Long> expiredSeqs = new ArrayList<>();
    /** Readings whose exchange failed, to hand out again first, not before {@link #returnedAfterMillis}. */
    private final List<StoredReading> returned = new ArrayList<>();
    private long returnedAfterMillis;
    /** Exchanges handed out and not settled yet, and the most there were at once. */
    private int out;
    private int peak;
    /** Whether a waiting thread already looks again every 100 ms (the connection, a batch's delay). */
    private boolean polling;
    /** Threads of the pool working (started, not ended), and those of them waiting in {@link #next()}. */
    private int workers;
    private int waiting;
    /** Whether the last thread to add could not be started (logged once until one starts again). */
    private boolean cannotAddWorker;

    /** Readings whose exchange completed, to remove from the store. */
    private final Queue<StoredReading> completed = new ConcurrentLinkedQueue<>();
    private final ReentrantLock removing = new ReentrantLock();
    /**
     * The seqs of completed readings whose removal failed, under {@link #removing}: their PUBACK came, so they are
     * not handed out again (the read-ahead only goes forward) and their removal is retried with the next ones.
     */
    private long[] unremoved = NONE;
    /**
     * Those of {@link #unremoved} a consumer of this outbox stopped before could not remove (the route restarted):
     * this one reads the outbox from its start, so the read-ahead leaves them out until they are removed.
     */
    private volatile Set<Long> removedElsewhere = Set.of();
    /** Removals failed in a row, under {@link #removing}. */
    private int removalFailures;
    private volatile int awaitingRemoval;
    /** No removal is tried before this while removals fail. */
    private volatile long removalRetryAtNanos = System.nanoTime();
    private volatile long lastRemovalNanos;
    private volatile long lastExpiryNanos = System.nanoTime();
    private volatile boolean running;
    private ExecutorService pool;

    public OutboxConsumer(OutboxEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        OutboxComponent component = endpoint.getComponent();
        this.store = component.store();
        this.listener = component.listener();
        this.batches = component.batches();
        this.ready = component.ready();
        this.quotaLineFull = component.quotaLineFull();
        this.threads = endpoint.getMaxInflight();
        this.limit = () -> Math.max(1, Math.min(threads, component.receiveMaximum().getAsInt()));
        this.batchMax = endpoint.getBatchMaxReadings();
        this.batchDelayMillis = endpoint.batchDelay().toMillis();
        this.gzip = "gzip".equalsIgnoreCase(endpoint.getCompress());
        this.clock = component.clock();
        this.lanes = Arrays.stream(Lane.values()).map(LaneQueue::new).toArray(LaneQueue[]::new);
    }

    /** One lane's readings read ahead from the store, and where reading it stands. */
    private static final class LaneQueue {
        final Lane lane;
        final ArrayDeque<StoredReading> ahead = new ArrayDeque<>();
        /** The newest reading of this lane read from the store. */
        long newestRead;
        /** {@link OutboxStore#appended} when reading on found nothing: no need to ask again before it changes. */
        long exhaustedAt = -1;

        LaneQueue(Lane lane) {
            this.lane = lane;
        }
    }

    @Override
    public OutboxEndpoint getEndpoint() {
        return (OutboxEndpoint) super.getEndpoint();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        getEndpoint().getComponent().started(this);
        long[] before = getEndpoint().getComponent().takeUnremoved(getEndpoint().getName());
        if (before.length > 0) {
            removing.lock();
            try {
                unremoved = before;
                awaitingRemoval = before.length;
                removedElsewhere = Arrays.stream(before).boxed().collect(Collectors.toUnmodifiableSet());
            } finally {
                removing.unlock();
            }
        }
        running = true;
        pool = getEndpoint().getCamelContext().getExecutorServiceManager()
                .newFixedThreadPool(this, "uplink-outbox", threads); // a thread made at each execute, up to threads
        handing.lock();
        try {
            addWorker();
        } finally {
            handing.unlock();
        }
    }

    /**
     * One more thread takes readings (under {@link #handing}). Never throws: the caller may hold a unit it counted
     * out, which it hands out itself when no thread can be made (a process limit: {@code unable to create native
     * thread}).
     */
    private void addWorker() {
        workers++;
        try {
            pool.execute(this::work);
            cannotAddWorker = false;
        } catch (RuntimeException | OutOfMemoryError e) {
            workers--;
            if (handingOut() && !cannotAddWorker) {
                cannotAddWorker = true;
                LOG.warn("Cannot start another outbox thread ({}); the {} there are go on", e.toString(), workers);
            }
        }
    }

    /**
     * Stopped last: Camel stops the input routes first, then waits (at most {@code camel.main.shutdown-timeout})
     * until the exchanges handed out are settled (a PUBACK to come, a retry's back-off) before it stops this
     * consumer and the route's processors. Nothing new is handed out once the context is stopping.
     */
    @Override
    public boolean deferShutdown(ShutdownRunningTask shutdownRunningTask) {
        return true;
    }

    @Override
    public int getPendingExchangesSize() {
        return inFlight(); // what is still stored waits for the next start
    }

    @Override
    public void prepareShutdown(boolean suspendOnly, boolean forced) {
        stopHandingOut();
    }

    @Override
    protected void doStop() throws Exception {
        stopHandingOut();
        getEndpoint().getComponent().stopped(this);
        int left = inFlight();
        if (left > 0) {
            LOG.warn("{} publish(es) still await their PUBACK; their readings stay in the outbox and go out again"
                    + " after the restart", left);
        }
        getEndpoint().getCamelContext().getExecutorServiceManager().shutdownGraceful(pool);
        removeCompleted(true);
        if (awaitingRemoval > 0) {
            removing.lock();
            try {
                // the next consumer of this outbox (a restarted route) leaves them out; a new process sends them
                getEndpoint().getComponent().keepUnremoved(getEndpoint().getName(), unremoved);
            } finally {
                removing.unlock();
            }
            LOG.warn("{} published reading(s) could not be removed from the outbox: they go out again after a"
                    + " restart of the bundle, with their message_id", awaitingRemoval);
        }
        super.doStop();
    }

    /** Whether handing out goes on: not once this consumer or the context is stopping. */
    private boolean handingOut() {
        return running && !getEndpoint().getCamelContext().isStopping();
    }

    private void stopHandingOut() {
        running = false;
        handing.lock();
        try {
            changed.signalAll();
        } finally {
            handing.unlock();
        }
    }

    /** There is something new to hand out. */
    void wakeUp() {
        handing.lock();
        try {
            if (workers == 0 && handingOut()) {
                addWorker(); // the last one ended (an Error): someone must take it
            }
            changed.signal();
        } finally {
            handing.unlock();
        }
    }

    /** Exchanges handed out and not settled yet. */
    public int inFlight() {
        handing.lock();
        try {
            return out;
        } finally {
            handing.unlock();
        }
    }

    /** The most exchanges that were out at once since the start. */
    public int peakInFlight() {
        handing.lock();
        try {
            return peak;
        } finally {
            handing.unlock();
        }
    }

    /** Threads of the pool waiting for something to hand out (the tests wait for them). */
    int waitingThreads() {
        handing.lock();
        try {
            return waiting;
        } finally {
            handing.unlock();
        }
    }

    /** Threads of the pool taking readings now (they grow with the window in use). */
    public int threads() {
        handing.lock();
        try {
            return workers;
        } finally {
            handing.unlock();
        }
    }

    /**
     * One thread of the pool: takes the next reading, runs the route for it, again. A thread that ends for another
     * reason than a stop (an {@link Error}) says so, and leaves its place to another.
     */
    private void work() {
        Error ended = null;
        try {
            loop();
        } catch (Error e) {
            ended = e;
            throw e;
        } finally {
            handing.lock();
            try {
                workers--;
                if (ended != null) {
                    LOG.error("An outbox thread ended ({}); another takes its place", ended.toString());
                    if (handingOut()) {
                        addWorker();
                    }
                }
                changed.signal(); // it may have been the one looking again now and then
            } finally {
                handing.unlock();
            }
        }
    }

    private void loop() {
        while (handingOut()) {
            try {
                Unit unit = next();
                if (unit != null) {
                    handOut(unit);
                }
                long now = System.nanoTime();
                if (now - lastRemovalNanos > REMOVAL_PERIOD_NANOS && now - removalRetryAtNanos >= 0) {
                    removeCompleted(false);
                }
                if (now - lastExpiryNanos > EXPIRY_PERIOD_NANOS) {
                    removeExpired();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.warn("The outbox consumer tries again in a second: {}", e.toString());
                pause();
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The next exchange's readings, once the connection is up, the window has room and there is something to hand
     * out; null when this thread should look after the removals first, or stop.
     */
    private Unit next() throws InterruptedException {
        handing.lockInterruptibly();
        try {
            while (handingOut()) {
                long wait = IDLE_MILLIS;
                long now = System.currentTimeMillis();
                if (!returned.isEmpty() && now < returnedAfterMillis) {
                    wait = returnedAfterMillis - now; // what failed goes first, after a pause
                } else if (out < limit.getAsInt() && ready.getAsBoolean() && !quotaLineFull.getAsBoolean()) {
                    takeBackReturned();
                    for (LaneQueue lane : lanes) {
                        dropExpired(lane);
                        if (lane.ahead.isEmpty()) {
                            readAhead(lane);
                            dropExpired(lane);
                        }
                        if (lane.ahead.isEmpty()) {
                            continue;
                        }
                        Unit unit = nextUnit(lane);
                        if (unit != null) {
                            out++;
                            peak = Math.max(peak, out);
                            if (waiting == 0 && workers < threads && handingOut()) {
                                addWorker(); // no other thread waits to take the next one
                            } else if (!lane.ahead.isEmpty() || !polling) {
                                changed.signal(); // another may take the next one, or look again in this one's place
                            }
                            return unit;
                        }
                        // a batch that may still fill: the next lane has nothing to hand out before it either
                        wait = Math.max(1, lane.ahead.peekFirst().acceptedAtMillis() + batchDelayMillis - now);
                        break;
                    }
                }
                // one waiting thread looks again now and then (the connection, a batch's delay); the others wait
                // to be told
                waiting++;
                try {
                    if (polling) {
                        changed.await();
                    } else {
                        polling = true;
                        try {
                            if (!changed.await(Math.min(wait, IDLE_MILLIS), TimeUnit.MILLISECONDS)) {
                                return null; // nothing happened meanwhile: time to remove what completed
                            }
                        } finally {
                            polling = false;
                        }
                    }
                } finally {
                    waiting--;
                }
            }
            return null;
        } finally {
            handing.unlock();
        }
    }

    /** What one exchange carries: one reading's envelope, or a batch envelope with several. */
    private record Unit(List<StoredReading> readings, String messageId, String kind, String topic, byte[] envelope,
            int batchSize, Lane lane) {

        /** When the first of its readings expires (epoch milliseconds), 0 when none does. */
        long expiresAtMillis() {
            return readings.stream().mapToLong(StoredReading::expiresAtMillis).filter(at -> at > 0).min().orElse(0);
        }
    }

    /**
     * The lane's oldest reading, or its oldest telemetry run as a batch (in the bulk lane: the priority lane does not
     * wait for a batch to fill); null while a batch may still fill.
     */
    private Unit nextUnit(LaneQueue lane) {
        ArrayDeque<StoredReading> ahead = lane.ahead;
        StoredReading first = ahead.peekFirst();
        if (batchMax <= 1 || lane.lane == Lane.PRIORITY || !"telemetry".equals(first.kind())) {
            ahead.pollFirst();
            return new Unit(List.of(first), first.messageId(), first.kind(), first.topic(), first.envelope(), 0,
                    lane.lane);
        }
        List<StoredReading> run = telemetryRun(ahead);
        if (run.size() < batchMax && run.size() == ahead.size()) {
            readAhead(lane);
            dropExpired(lane);
            if (ahead.isEmpty()) {
                return null;
            }
            first = ahead.peekFirst();
            run = telemetryRun(ahead);
        }
        if (run.size() < batchMax && run.size() == ahead.size()
                && System.currentTimeMillis() - first.acceptedAtMillis() < batchDelayMillis) {
            return null;
        }
        BatchEnvelope.Batch batch = batches.write(run);
        for (int i = 0; i < batch.readings().size(); i++) {
            ahead.pollFirst();
        }
        return new Unit(batch.readings(), batch.messageId(), "telemetry", first.topic(), batch.envelope(),
                batch.readings().size(), lane.lane);
    }

    private List<StoredReading> telemetryRun(ArrayDeque<StoredReading> ahead) {
        List<StoredReading> run = new ArrayList<>(Math.min(batchMax, ahead.size()));
        for (StoredReading reading : ahead) {
            if (run.size() == batchMax || !"telemetry".equals(reading.kind())) {
                break;
            }
            run.add(reading);
        }
        return run;
    }

    /**
     * Reads on from the newest reading read so far: a reading handed out once (and so any reading that completed but
     * is not removed yet) is never read again; only a failed one comes back, through {@link #returned}.
     */
    private void readAhead(LaneQueue lane) {
        long appended = store.appended(lane.lane);
        if (appended == lane.exhaustedAt) {
            return; // nothing stored in this lane since it was found read to its end
        }
        List<StoredReading> more = store.after(lane.lane, lane.newestRead, Math.max(READ_AHEAD, batchMax));
        if (more.isEmpty()) {
            lane.exhaustedAt = appended;
            return;
        }
        lane.newestRead = more.get(more.size() - 1).seq();
        Set<Long> published = removedElsewhere;
        lane.ahead.addAll(published.isEmpty() ? more
                : more.stream().filter(r -> !published.contains(r.seq())).toList());
    }

    /** Readings at the head of the lane whose time is up are not handed out: they go with the next sweep. */
    private void dropExpired(LaneQueue lane) {
        long now = clock.millis();
        for (StoredReading head; (head = lane.ahead.peekFirst()) != null && head.expiredAt(now); ) {
            expiredSeqs.add(lane.ahead.pollFirst().seq());
        }
    }

    /** Failed readings are older than any not handed out yet: they go back in front, in the outbox's order. */
    private void takeBackReturned() {
        if (returned.isEmpty()) {
            return;
        }
        for (LaneQueue lane : lanes) {
            List<StoredReading> all = new ArrayList<>(lane.ahead);
            returned.stream().filter(r -> r.lane() == lane.lane).forEach(all::add);
            all.sort(Comparator.comparingLong(StoredReading::seq));
            lane.ahead.clear();
            lane.ahead.addAll(all);
        }
        returned.clear();
    }

    /**
     * Removes the readings whose time to live is up: those read ahead or given back (left out of the hand-out), and
     * those not read yet, in one transaction. Under the hand-out lock, so that no reading is handed out meanwhile.
     */
    private void removeExpired() {
        handing.lock();
        try {
            lastExpiryNanos = System.nanoTime();
            long now = clock.millis();
            for (LaneQueue lane : lanes) {
                lane.ahead.removeIf(r -> {
                    boolean expired = r.expiredAt(now);
                    if (expired) {
                        expiredSeqs.add(r.seq());
                    }
                    return expired;
                });
            }
            returned.removeIf(r -> {
                boolean expired = r.expiredAt(now);
                if (expired) {
                    expiredSeqs.add(r.seq());
                }
                return expired;
            });
            long[] readUpTo = Arrays.stream(lanes).mapToLong(lane -> lane.newestRead).toArray();
            long[] seqs = expiredSeqs.stream().mapToLong(Long::longValue).toArray();
            store.expire(now, readUpTo, seqs);
            expiredSeqs.clear();
        } finally {
            handing.unlock();
        }
    }

    /** Runs the route for one exchange on this thread (its PUBACK awaited here, a retry on its own scheduler). */
    private void handOut(Unit unit) {
        Exchange exchange;
        try {
            exchange = exchange(unit);
        } catch (RuntimeException | Error e) { // an Error too (out of memory in gzip): the readings stay, go out again
            giveBack(unit);
            throw e;
        }
        getAsyncProcessor().process(exchange, doneSync -> settle(exchange, unit));
    }

    private Exchange exchange(Unit unit) {
        Exchange exchange = createExchange(false);
        Message message = exchange.getMessage();
        message.setBody(gzip ? MqttPublishProperties.gzip(unit.envelope()) : unit.envelope());
        message.setHeader(PahoMqtt5Constants.CAMEL_PAHO_OVERRIDE_TOPIC, unit.topic());
        MqttProperties properties = unit.batchSize() > 0
                ? MqttPublishProperties.forBatch(unit.messageId(), unit.batchSize(), gzip)
                : MqttPublishProperties.forReading(unit.messageId(), gzip);
        long expiresAt = unit.expiresAtMillis();
        if (expiresAt > 0) {
            // the broker (and a subscriber's session) drops it too once it is stale; whole seconds, at least one
            properties.setMessageExpiryInterval(Math.max(1, (expiresAt - clock.millis() + 999) / 1000));
        }
        message.setHeader(PahoMqtt5Constants.CAMEL_PAHO_MSG_PROPERTIES, properties);
        message.setHeader(OutboxConstants.MESSAGE_ID, unit.messageId());
        message.setHeader(OutboxConstants.READING_KIND, unit.kind());
        message.setHeader(OutboxConstants.READINGS, unit.readings().size());
        message.setHeader(OutboxConstants.LANE, unit.lane().label());
        exchange.setProperty(OutboxConstants.STORED_READINGS, unit.readings());
        return exchange;
    }

    /** Once the route is done with an exchange (on whichever thread finished it). */
    private void settle(Exchange exchange, Unit unit) {
        Exception failure = exchange.getException();
        boolean done = failure == null && !exchange.isRollbackOnly();
        try {
            if (done) {
                completed.addAll(unit.readings());
                listener.completed(exchange, unit.readings().size());
            } else {
                LOG.warn("{} stays in the outbox and goes out again: {}", unit.readings().size() == 1
                        ? "Reading " + unit.messageId() : unit.readings().size() + " readings (batch "
                        + unit.messageId() + ")", failure == null ? "rolled back" : ReasonCodes.describe(failure));
                listener.kept(exchange, unit.readings().size(), failure);
            }
        } catch (RuntimeException e) {
            LOG.warn("Counting what became of {} failed: {}", unit.messageId(), e.toString());
        } finally {
            releaseExchange(exchange, false);
            if (done) {
                release();
            } else {
                giveBack(unit);
            }
        }
        if (!running) {
            removeCompleted(true);
        }
    }

    /** A place in the window is free again. */
    private void release() {
        handing.lock();
        try {
            out--;
            changed.signal();
        } finally {
            handing.unlock();
        }
    }

    /** The readings of a unit that did not go through go out again, first, after a pause; its place is free. */
    private void giveBack(Unit unit) {
        handing.lock();
        try {
            returned.addAll(unit.readings());
            returnedAfterMillis = System.currentTimeMillis() + RETURN_PAUSE_MILLIS;
            out--;
            changed.signal();
        } finally {
            handing.unlock();
        }
    }

    /** Completed readings whose removal failed so far and waits for a retry (a full disk). */
    public int awaitingRemoval() {
        return awaitingRemoval;
    }

    /**
     * Removes what completed so far, with what could not be removed before, in one transaction; a failure keeps
     * their seqs (not the envelopes) for a retry after a back-off. Unless {@code wait}, it leaves the work to a
     * thread already at it.
     */
    private void removeCompleted(boolean wait) {
        if (wait) {
            removing.lock();
        } else if (!removing.tryLock()) {
            return;
        }
        try {
            lastRemovalNanos = System.nanoTime();
            long[] seqs = drainCompleted();
            if (seqs.length == 0) {
                return;
            }
            try {
                store.removeAll(seqs);
            } catch (RuntimeException e) {
                unremoved = seqs;
                awaitingRemoval = seqs.length;
                removalFailures++;
                removalRetryAtNanos = System.nanoTime()
                        + REMOVAL_RETRY.delay(removalFailures, Duration.ZERO).toNanos();
                if (removalFailures == 1) {
                    LOG.warn("{} published reading(s) cannot be removed from the outbox: they are not sent again"
                            + " while the bundle runs (after a restart they would be, with their message_id), and"
                            + " their removal is tried again every {} s at most: {}", seqs.length,
                            REMOVAL_RETRY.maxDelay().toSeconds(), e.getMessage());
                } else {
                    LOG.debug("{} published reading(s) still cannot be removed: {}", seqs.length, e.getMessage());
                }
                return;
            }
            if (removalFailures > 0) {
                LOG.info("The {} published reading(s) that waited for their removal left the outbox", seqs.length);
            }
            unremoved = NONE;
            awaitingRemoval = 0;
            removalFailures = 0;
            removedElsewhere = Set.of();
        } finally {
            removing.unlock();
        }
    }

    /** The seqs to remove now: those left from a failed removal, then what completed since (under the lock). */
    private long[] drainCompleted() {
        long[] seqs = Arrays.copyOf(unremoved, unremoved.length + completed.size());
        int n = unremoved.length;
        for (StoredReading reading; (reading = completed.poll()) != null; ) {
            if (n == seqs.length) {
                seqs = Arrays.copyOf(seqs, n * 2 + 16);
            }
            seqs[n++] = reading.seq();
        }
        return n == seqs.length ? seqs : Arrays.copyOf(seqs, n);
    }
}
