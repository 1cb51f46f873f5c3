package io.iotuplink.outbox;

import io.iotuplink.mqtt.MqttPublishProperties;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.ShutdownRunningTask;
import org.apache.camel.component.paho.mqtt5.PahoMqtt5Constants;
import org.apache.camel.spi.ShutdownAware;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;

/**
 * Hands out what the outbox holds, oldest first, one exchange per reading (or per batch of telemetry readings),
 * while the connection is up, up to the {@link InflightWindow}'s worth at once: a thread of its own
 * ({@code uplink-outbox}) reads and batches, a pool ({@code uplink-outbox-publish}) runs the route, whose
 * producer waits for the broker's answer. A reading leaves the outbox when its exchange completes; a failed
 * exchange's readings are handed out again, before anything newer.
 */
public class OutboxConsumer extends DefaultConsumer implements ShutdownAware {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxConsumer.class);
    private static final int READ_AHEAD = 200;
    private static final long IDLE_MILLIS = 100;
    private static final long REMOVAL_PERIOD_NANOS = 50_000_000;

    private final OutboxStore store;
    private final OutboxListener listener;
    private final BatchEnvelope batches;
    private final InflightWindow window;
    private final BooleanSupplier ready;
    private final int batchMax;
    private final long batchDelayMillis;
    private final boolean gzip;

    /** Read from the store, not handed out yet, oldest first (the dispatching thread's own). */
    private final ArrayDeque<StoredReading> ahead = new ArrayDeque<>();
    /** The newest reading read from the store (the dispatching thread's own). */
    private long newestRead;
    /** Readings whose exchange failed, to hand out again first. */
    private final Queue<StoredReading> returned = new ConcurrentLinkedQueue<>();
    /** Readings whose exchange completed, to remove from the store. */
    private final Queue<StoredReading> completed = new ConcurrentLinkedQueue<>();
    private final Object removing = new Object();
    private long lastRemovalNanos;
    private final Object wake = new Object();
    private boolean woken;
    private volatile boolean running;
    private ExecutorService dispatcher;
    private ExecutorService workers;

    public OutboxConsumer(OutboxEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        OutboxComponent component = endpoint.getComponent();
        this.store = component.store();
        this.listener = component.listener();
        this.batches = component.batches();
        this.ready = component.ready();
        this.window = new InflightWindow(
                () -> Math.min(endpoint.getMaxInflight(), component.receiveMaximum().getAsInt()));
        this.batchMax = endpoint.getBatchMaxReadings();
        this.batchDelayMillis = endpoint.batchDelay().toMillis();
        this.gzip = "gzip".equalsIgnoreCase(endpoint.getCompress());
    }

    @Override
    public OutboxEndpoint getEndpoint() {
        return (OutboxEndpoint) super.getEndpoint();
    }

    /** The exchanges handed out and not settled yet. */
    public InflightWindow window() {
        return window;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        var executors = getEndpoint().getCamelContext().getExecutorServiceManager();
        workers = executors.newFixedThreadPool(this, "uplink-outbox-publish", getEndpoint().getMaxInflight());
        dispatcher = executors.newSingleThreadExecutor(this, "uplink-outbox");
        running = true;
        getEndpoint().getComponent().started(this);
        dispatcher.execute(this::run);
    }

    @Override
    protected void doStop() throws Exception {
        running = false;
        getEndpoint().getComponent().stopped(this);
        wakeUp();
        var executors = getEndpoint().getCamelContext().getExecutorServiceManager();
        executors.shutdownGraceful(dispatcher);
        // Camel stops a consumer before it waits for the route's exchanges, and stopping it stops the route's
        // processors: the exchanges handed out (a PUBACK to come, a retry's back-off) settle first
        var shutdown = getEndpoint().getCamelContext().getShutdownStrategy();
        if (!window.awaitEmpty(shutdown.getTimeUnit().toMillis(shutdown.getTimeout()))) {
            LOG.warn("{} publish(es) still await their PUBACK; their readings stay in the outbox and go out again"
                    + " after the restart", window.inFlight());
        }
        executors.shutdownGraceful(workers);
        removeCompleted();
        super.doStop();
    }

    /** Camel's shutdown begins: nothing more is handed out; what is out settles while Camel waits for it. */
    @Override
    public void prepareShutdown(boolean suspendOnly, boolean forced) {
        running = false;
        wakeUp();
    }

    @Override
    public boolean deferShutdown(ShutdownRunningTask shutdownRunningTask) {
        return false;
    }

    @Override
    public int getPendingExchangesSize() {
        return 0; // what is still stored waits for the next start
    }

    /** There is something new to hand out (it also looks every 100 ms). */
    void wakeUp() {
        synchronized (wake) {
            woken = true;
            wake.notifyAll();
        }
    }

    private void run() {
        while (running) {
            try {
                if (System.nanoTime() - lastRemovalNanos > REMOVAL_PERIOD_NANOS) {
                    removeCompleted();
                }
                long idle = dispatchNext();
                if (idle > 0) {
                    // not longer: what completed meanwhile is removed every loop
                    idle(Math.min(idle, IDLE_MILLIS));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.warn("The outbox consumer tries again in a second: {}", e.toString());
                try {
                    idle(1_000);
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void idle(long millis) throws InterruptedException {
        synchronized (wake) {
            if (!woken) {
                wake.wait(millis);
            }
            woken = false;
        }
    }

    /** Hands out the next exchange; how long to wait before trying again when there was none to hand out. */
    private long dispatchNext() throws InterruptedException {
        if (!window.acquire(IDLE_MILLIS)) {
            return 0; // it waited already
        }
        boolean handedOut = false;
        try {
            // asked once a place is free: the connection may have gone while the window was full
            if (!ready.getAsBoolean() || !running) {
                return IDLE_MILLIS;
            }
            takeBackReturned();
            if (ahead.isEmpty()) {
                readAhead();
            }
            if (ahead.isEmpty()) {
                removeCompleted();
                return IDLE_MILLIS;
            }
            Unit unit = nextUnit();
            if (unit == null) {
                return Math.max(1, ahead.peekFirst().acceptedAtMillis() + batchDelayMillis
                        - System.currentTimeMillis());
            }
            handedOut = handOut(unit);
            return 0;
        } finally {
            if (!handedOut) {
                window.release();
            }
        }
    }

    /** What one exchange carries: one reading's envelope, or a batch envelope with several. */
    private record Unit(List<StoredReading> readings, String messageId, String kind, String topic, byte[] envelope,
            int batchSize) {
    }

    /** The oldest reading, or the oldest telemetry run as a batch; null while a batch may still fill. */
    private Unit nextUnit() {
        StoredReading first = ahead.peekFirst();
        if (batchMax <= 1 || !"telemetry".equals(first.kind())) {
            ahead.pollFirst();
            return new Unit(List.of(first), first.messageId(), first.kind(), first.topic(), first.envelope(), 0);
        }
        List<StoredReading> run = telemetryRun();
        if (run.size() < batchMax && run.size() == ahead.size()) {
            readAhead();
            run = telemetryRun();
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
                batch.readings().size());
    }

    private List<StoredReading> telemetryRun() {
        List<StoredReading> run = new ArrayList<>(Math.min(batchMax, ahead.size()));
        for (StoredReading reading : ahead) {
            if (run.size() == batchMax || !"telemetry".equals(reading.kind())) {
                break;
            }
            run.add(reading);
        }
        return run;
    }

    private void readAhead() {
        List<StoredReading> more = store.after(newestRead, Math.max(READ_AHEAD, batchMax));
        if (!more.isEmpty()) {
            ahead.addAll(more);
            newestRead = more.get(more.size() - 1).seq();
        }
    }

    /** Failed readings are older than any not handed out yet: they go back in front, in the outbox's order. */
    private void takeBackReturned() {
        if (returned.isEmpty()) {
            return;
        }
        List<StoredReading> all = new ArrayList<>(ahead);
        for (StoredReading reading; (reading = returned.poll()) != null; ) {
            all.add(reading);
        }
        all.sort(Comparator.comparingLong(StoredReading::seq));
        ahead.clear();
        ahead.addAll(all);
    }

    private boolean handOut(Unit unit) {
        Exchange exchange = createExchange(false);
        Message message = exchange.getMessage();
        message.setBody(gzip ? MqttPublishProperties.gzip(unit.envelope()) : unit.envelope());
        message.setHeader(PahoMqtt5Constants.CAMEL_PAHO_OVERRIDE_TOPIC, unit.topic());
        message.setHeader(PahoMqtt5Constants.CAMEL_PAHO_MSG_PROPERTIES, unit.batchSize() > 0
                ? MqttPublishProperties.forBatch(unit.messageId(), unit.batchSize(), gzip)
                : MqttPublishProperties.forReading(unit.messageId(), gzip));
        message.setHeader(OutboxConstants.MESSAGE_ID, unit.messageId());
        message.setHeader(OutboxConstants.READING_KIND, unit.kind());
        message.setHeader(OutboxConstants.READINGS, unit.readings().size());
        try {
            workers.execute(() -> getAsyncProcessor().process(exchange, doneSync -> settle(exchange, unit)));
            return true;
        } catch (RejectedExecutionException stopping) {
            // the readings stay stored for the next start
            releaseExchange(exchange, false);
            return false;
        }
    }

    /** Once the route is done with an exchange (on whichever thread finished it). */
    private void settle(Exchange exchange, Unit unit) {
        try {
            Exception failure = exchange.getException();
            if (failure == null && !exchange.isRollbackOnly()) {
                completed.addAll(unit.readings());
                listener.completed(exchange, unit.readings().size());
                if (!running) {
                    removeCompleted();
                }
            } else {
                returned.addAll(unit.readings());
                LOG.warn("{} stays in the outbox and goes out again: {}", unit.readings().size() == 1
                        ? "Reading " + unit.messageId() : unit.readings().size() + " readings (batch "
                        + unit.messageId() + ")", failure == null ? "rolled back" : failure.getMessage());
                listener.kept(exchange, unit.readings().size(), failure);
                wakeUp();
            }
        } catch (RuntimeException e) {
            LOG.warn("Counting what became of {} failed: {}", unit.messageId(), e.toString());
        } finally {
            releaseExchange(exchange, false);
            window.release();
        }
    }

    /** Removes what completed so far, in one transaction; a failure leaves it for the next time. */
    private void removeCompleted() {
        synchronized (removing) {
            lastRemovalNanos = System.nanoTime();
            List<StoredReading> done = new ArrayList<>();
            for (StoredReading reading; (reading = completed.poll()) != null; ) {
                done.add(reading);
            }
            if (done.isEmpty()) {
                return;
            }
            try {
                store.removeAll(done);
            } catch (RuntimeException e) {
                completed.addAll(done);
                LOG.warn("Published readings stay in the outbox a little longer: {}", e.getMessage());
            }
        }
    }
}
