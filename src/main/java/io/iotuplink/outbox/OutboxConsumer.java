package io.iotuplink.outbox;

import io.iotuplink.logging.RepeatedProblem;
import io.iotuplink.mqtt.MqttPublishProperties;
import io.iotuplink.mqtt.PublishRefusedException;
import io.iotuplink.mqtt.ReasonCodes;
import io.iotuplink.outbox.OutboxLedger.Failure;
import io.iotuplink.outbox.OutboxLedger.Unit;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.ShutdownRunningTask;
import org.apache.camel.component.paho.mqtt5.PahoMqtt5Constants;
import org.apache.camel.spi.ShutdownAware;
import org.apache.camel.support.DefaultConsumer;
import org.apache.camel.util.ObjectHelper;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * Runs the publish route for what the outbox's {@link OutboxLedger} hands out, lane by lane (the priority lane before
 * the bulk lane) and oldest first within a lane, one exchange per reading (or per batch of telemetry readings),
 * while the connection is up, at most {@code maxInflight} at once and never more than the broker's receive
 * maximum. Threads of the {@code uplink-outbox} pool each take the next unit and run the route, whose producer
 * waits for the broker's answer, then take the next: the thread that settles one exchange starts the next, so a
 * publish costs no hand-over between threads. The pool starts with one thread and grows, up to {@code maxInflight},
 * only when a thread hands out an exchange while no other waits to take the next: it holds about as many threads
 * as publishes were ever awaiting their answer at once, plus one, so a gateway's memory pays for the window it uses.
 * It reports each exchange's outcome to the ledger: completed (the readings await their removal), failed (they wait
 * out their own back-off), or set aside as a dead letter when the failure will repeat (a step of the route that keeps
 * throwing, a reading that cannot be encoded).
 */
public class OutboxConsumer extends DefaultConsumer implements ShutdownAware {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxConsumer.class);
    /** A failed publish per reading and attempt: the first of each cause in detail, then a count a minute. */
    private static final RepeatedProblem FAILED = RepeatedProblem.warn(LOG, "Publishes that failed and go again");
    private static final RepeatedProblem SET_ASIDE = RepeatedProblem.warn(LOG, "Readings set aside or parked");
    private static final RepeatedProblem LOOP = RepeatedProblem.warn(LOG, "Outbox consumer failures");
    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long REMOVAL_PERIOD_NANOS = 50_000_000;

    private final OutboxLedger ledger;
    private final OutboxListener listener;
    private final BooleanSupplier ready;
    private final BooleanSupplier quotaLineFull;
    private final IntSupplier limit;
    private final int threads;
    private final int batchMax;
    private final long batchDelayNanos;
    private final boolean gzip;
    private final Clock clock;
    private final String deadLetterUri;

    /** The ledger's lock: what is handed out, and the pool's threads below. */
    private final ReentrantLock handing;
    /** Something changed that may let a waiting thread hand out: new readings, a settled exchange, a stop. */
    private final Condition changed;
    /** Whether a waiting thread already looks again now and then (the connection, a batch's delay, a back-off). */
    private boolean polling;
    /** Threads of the pool working (started, not ended), and those of them waiting in {@link #next()}. */
    private int workers;
    private int waiting;
    /** Whether the last thread to add could not be started (logged once until one starts again). */
    private boolean cannotAddWorker;

    private volatile long lastRemovalNanos;
    private volatile long lastExpiryNanos = System.nanoTime();
    private volatile boolean running;
    private ExecutorService pool;
    private ProducerTemplate deadLetters;

    public OutboxConsumer(OutboxEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        OutboxComponent component = endpoint.getComponent();
        this.ledger = component.ledger();
        this.listener = component.listener();
        this.ready = component.ready();
        this.quotaLineFull = component.quotaLineFull();
        this.threads = endpoint.getMaxInflight();
        this.limit = () -> Math.max(1, Math.min(threads, component.receiveMaximum().getAsInt()));
        this.batchMax = endpoint.getBatchMaxReadings();
        this.batchDelayNanos = endpoint.batchDelay().toNanos();
        this.gzip = "gzip".equalsIgnoreCase(endpoint.getCompress());
        this.clock = component.clock();
        this.deadLetterUri = component.deadLetterUri();
        this.handing = ledger.lock();
        this.changed = ledger.changed();
    }

    @Override
    public OutboxEndpoint getEndpoint() {
        return (OutboxEndpoint) super.getEndpoint();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        getEndpoint().getComponent().started(this);
        running = true;
        if (deadLetterUri != null) {
            deadLetters = getEndpoint().getCamelContext().createProducerTemplate();
        }
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
        ledger.removeFinished();
        ledger.forgetOut(); // a route started again sends them; a new process reads them from the store anyway
        int awaiting = ledger.awaitingRemoval();
        if (awaiting > 0) {
            LOG.warn("{} published reading(s) could not be removed from the outbox: they go out again after a"
                    + " restart of the bundle, with their message_id", awaiting);
        }
        if (deadLetters != null) {
            deadLetters.stop();
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
        return ledger.inFlight();
    }

    /** The most exchanges that were out at once since the start. */
    public int peakInFlight() {
        return ledger.peakInFlight();
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
                if (now - lastRemovalNanos > REMOVAL_PERIOD_NANOS && ledger.removalDue()) {
                    lastRemovalNanos = now;
                    ledger.removeFinished();
                }
                if (now - lastExpiryNanos > OutboxLedger.EXPIRY_PERIOD_NANOS && ledger.sweepDue()) {
                    lastExpiryNanos = now;
                    ledger.sweep();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOOP.report(e.getClass().getName(), "The outbox consumer goes on after: {}", e.toString());
                pause(); // never a loop that spins on the same failure
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The next exchange's readings, once the connection is up, the window has room and there is something to hand
     * out; null when this thread should look after the removals first, or stop.
     */
    private Unit next() throws InterruptedException {
        ledger.lookAtClock(); // not under the lock: the clock may re-base the store
        handing.lockInterruptibly();
        try {
            while (handingOut()) {
                long wait = IDLE_NANOS;
                if (ready.getAsBoolean()) {
                    // a full quota line holds the bulk lane back, never the priority lane
                    OutboxLedger.Next next = ledger.next(limit.getAsInt(), batchMax, batchDelayNanos,
                            quotaLineFull.getAsBoolean());
                    if (next.unit() != null) {
                        if (waiting == 0 && workers < threads && handingOut()) {
                            addWorker(); // no other thread waits to take the next one
                        } else if (!polling) {
                            changed.signal(); // another may take the next one, or look again in this one's place
                        }
                        return next.unit();
                    }
                    wait = Math.min(wait, next.waitNanos());
                }
                // one waiting thread looks again now and then (the connection, a back-off, a batch's delay); the
                // others wait to be told
                waiting++;
                try {
                    if (polling) {
                        changed.await();
                    } else {
                        polling = true;
                        try {
                            if (changed.awaitNanos(wait) <= 0) {
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

    /** Runs the route for one exchange on this thread (its PUBACK awaited here, a retry on its own scheduler). */
    private void handOut(Unit unit) {
        Exchange exchange;
        try {
            exchange = exchange(unit);
        } catch (RuntimeException e) { // it cannot be published as it is, ever: a dead letter, named
            setAside(unit, null, "it cannot be encoded as an MQTT publish: " + e.getMessage());
            return;
        } catch (Error e) { // out of memory in gzip: the readings stay, and go out again
            failed(unit, Failure.PASSING);
            throw e;
        }
        try {
            getAsyncProcessor().process(exchange, doneSync -> settle(exchange, unit));
        } catch (RuntimeException e) { // not run: its readings wait again, its place in the window is free
            releaseExchange(exchange, false);
            failed(unit, Failure.PASSING);
            throw e;
        }
    }

    private Exchange exchange(Unit unit) {
        String problem = MqttStrings.problem("topic", unit.topic());
        if (problem == null) {
            problem = MqttStrings.problem("message_id", unit.messageId());
        }
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
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
        headers(message, unit);
        return exchange;
    }

    private static void headers(Message message, Unit unit) {
        message.setHeader(OutboxConstants.MESSAGE_ID, unit.messageId());
        message.setHeader(OutboxConstants.READING_KIND, unit.kind());
        message.setHeader(OutboxConstants.READINGS, unit.readings().size());
        message.setHeader(OutboxConstants.LANE, unit.lane().label());
        message.getExchange().setProperty(OutboxConstants.STORED_READINGS, unit.readings());
    }

    /** Once the route is done with an exchange (on whichever thread finished it). */
    private void settle(Exchange exchange, Unit unit) {
        Exception failure = exchange.getException();
        boolean done = failure == null && !exchange.isRollbackOnly();
        try {
            if (done) {
                completed(unit, exchange.getProperty(OutboxConstants.DEAD_LETTERED, false, Boolean.class));
                listener.completed(exchange, unit.readings().size());
            } else {
                listener.kept(exchange, unit.readings().size(), failure);
            }
        } catch (RuntimeException e) {
            LOG.warn("Counting what became of {} failed: {}", unit.messageId(), e.toString());
        } finally {
            releaseExchange(exchange, false);
        }
        if (!done) {
            failedExchange(exchange, failure, unit);
        }
        if (!running) {
            ledger.removeFinished();
        }
    }

    /**
     * What a failed exchange's readings do next: after a failure of the link or the broker, and after a lasting refusal
     * whose dead letter could not be written, they wait out their own back-off; after any other failure (a step of the
     * route threw, and the route's retries are used up) they are set aside as a dead letter: trying again would fail
     * again, and hold up nothing else meanwhile.
     */
    private void failedExchange(Exchange exchange, Exception failure, Unit unit) {
        Exception caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        String what = describe(unit);
        if (failure != null && caught != null && caught != failure && refusedForGood(caught)) {
            int failures = failed(unit, Failure.REPEATING);
            if (failures == 1) {
                SET_ASIDE.report("no dead letter " + failure.getClass().getName(), "{} was refused for good ({}) but"
                        + " cannot be kept as a dead letter ({}): it waits in the outbox and is tried again, less and"
                        + " less often (at most every 5 minutes)", what, ReasonCodes.describe(caught),
                        describeFailure(failure));
            }
        } else if (ObjectHelper.getException(io.iotuplink.mqtt.BatchOverRateException.class, failure) != null) {
            failed(unit, Failure.TOO_LARGE); // written for a faster rate: batched again, smaller
        } else if (failure == null || ofTheLink(failure)) {
            String cause = failure == null ? "rolled back" : ReasonCodes.describe(failure);
            FAILED.report(failure == null ? "rolled back" : failure.getClass().getName(),
                    "{} stays in the outbox and goes out again after its own back-off: {}", what, cause);
            failed(unit, Failure.PASSING);
        } else {
            setAside(unit, failure, "the publish route failed for it after its retries ("
                    + describeFailure(failure) + ")");
        }
    }

    /** Keeps the unit as a dead letter through {@code deadLetterUri}; parks it with a long back-off if that fails. */
    private void setAside(Unit unit, Exception cause, String why) {
        String what = describe(unit);
        if (deadLetters == null) {
            if (failed(unit, Failure.REPEATING) == 1) {
                SET_ASIDE.report("parked", "{} is set aside: {}; it is tried again less and less often", what, why);
            }
            return;
        }
        try {
            Exchange exchange = createExchange(false);
            exchange.getMessage().setBody(unit.envelope());
            exchange.getMessage().setHeader(PahoMqtt5Constants.CAMEL_PAHO_OVERRIDE_TOPIC, unit.topic());
            headers(exchange.getMessage(), unit);
            exchange.setProperty(Exchange.EXCEPTION_CAUGHT, new ReadingSetAsideException(why, cause));
            Exchange result = deadLetters.send(deadLetterUri, exchange);
            if (result.getException() != null) {
                throw result.getException();
            }
            SET_ASIDE.report("set aside " + (cause == null ? "unencodable" : cause.getClass().getName()),
                    "{} is set aside as a dead letter: {}", what, why);
            completed(unit, true);
        } catch (Exception e) {
            if (failed(unit, Failure.REPEATING) == 1) {
                SET_ASIDE.report("no dead letter " + e.getClass().getName(), "{} should be set aside as a dead letter"
                        + " ({}), but that failed too ({}): it waits in the outbox and is tried again, less and less"
                        + " often", what, why, describeFailure(e));
            }
        }
    }

    private void completed(Unit unit, boolean deadLetter) {
        handing.lock();
        try {
            ledger.completed(unit, deadLetter);
        } finally {
            handing.unlock();
        }
    }

    private int failed(Unit unit, Failure failure) {
        handing.lock();
        try {
            return ledger.failed(unit, failure);
        } finally {
            handing.unlock();
        }
    }

    private static String describe(Unit unit) {
        return unit.readings().size() == 1 ? "Reading " + unit.messageId()
                : unit.readings().size() + " readings (batch " + unit.messageId() + ")";
    }

    private static String describeFailure(Throwable failure) {
        return failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
    }

    /** Whether the broker refused the publish for good (a verdict that repeats): it was to become a dead letter. */
    private static boolean refusedForGood(Exception caught) {
        PublishRefusedException refused = ObjectHelper.getException(PublishRefusedException.class, caught);
        return refused != null && !refused.retryable()
                || ObjectHelper.getException(ReadingSetAsideException.class, caught) != null;
    }

    /**
     * Whether the failure is the link's or the broker's passing condition (no connection, no PUBACK in time, a
     * retryable reason code): anything else comes from a step of the route.
     */
    static boolean ofTheLink(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof MqttException || t instanceof PublishRefusedException || t instanceof IOException
                    || t instanceof io.iotuplink.mqtt.BatchOverRateException
                    || t instanceof TimeoutException || t instanceof InterruptedException
                    || t instanceof org.apache.camel.ExchangeTimedOutException
                    || t instanceof java.util.concurrent.RejectedExecutionException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /** Completed readings whose removal failed so far and waits for a retry (a full disk). */
    public int awaitingRemoval() {
        return ledger.awaitingRemoval();
    }
}
