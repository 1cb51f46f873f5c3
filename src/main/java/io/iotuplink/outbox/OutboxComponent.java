package io.iotuplink.outbox;

import io.iotuplink.config.TimeToLive;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * The {@code outbox:} component: {@code to: outbox:uplink} stores readings durably, {@code from: outbox:uplink}
 * hands them out oldest first and removes each once its exchange completes. The bundle configures it with its
 * store and with what the consumer must respect (the connection being up, the broker's receive maximum).
 */
public class OutboxComponent extends DefaultComponent {

    private final OutboxStore store;
    private final BatchEnvelope batches;
    private final BooleanSupplier ready;
    private final IntSupplier receiveMaximum;
    private final OutboxListener listener;
    private final Set<OutboxConsumer> consumers = new CopyOnWriteArraySet<>();
    /** What becomes of each stored reading: one owner for the outbox, whichever consumer runs. */
    private OutboxLedger ledger;
    private String deadLetterUri;
    private TimeToLive timeToLive = TimeToLive.NEVER;
    private Clock clock = Clock.systemUTC();
    private BooleanSupplier quotaLineFull = () -> false;

    /**
     * @param ready          whether handing out makes sense now (the connection is up); asked before each exchange
     * @param receiveMaximum the most exchanges the receiving side takes at once (the broker's receive maximum)
     * @param listener       told what became of every exchange the consumer handed out
     */
    public OutboxComponent(OutboxStore store, BatchEnvelope batches, BooleanSupplier ready, IntSupplier receiveMaximum,
            OutboxListener listener) {
        this.store = store;
        this.batches = batches;
        this.ready = ready;
        this.receiveMaximum = receiveMaximum;
        this.listener = listener;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        OutboxEndpoint endpoint = new OutboxEndpoint(uri, this, remaining);
        setProperties(endpoint, parameters);
        return endpoint;
    }

    /** Tells the running consumers there is something new to hand out. */
    void wakeConsumers() {
        consumers.forEach(OutboxConsumer::wakeUp);
    }

    /** Exchanges handed out and not settled yet. */
    public int inFlight() {
        return ledger().inFlight();
    }

    /** Completed readings waiting for a removal that failed (a full disk) to be tried again. */
    public int awaitingRemoval() {
        return ledger().awaitingRemoval();
    }

    /** The most exchanges that were out at once since the start. */
    public int peakInFlight() {
        return ledger().peakInFlight();
    }

    /** Readings parked after a failed exchange, each waiting out its own back-off. */
    public int parked() {
        return ledger().parked();
    }

    /**
     * The books in readings: accepted, published, dead-lettered, expired, dropped since the outbox file was made, and
     * what waits ({@code rows}); they always balance.
     */
    public OutboxStore.Books books() {
        return ledger().books();
    }

    /** The stored readings changed under the ledger (a clock step re-based them): what was read ahead is read again. */
    public void reread() {
        ledger().reread();
    }

    /** The ledger of this outbox, made at the first use (once the clock is set). */
    synchronized OutboxLedger ledger() {
        if (ledger == null) {
            ledger = new OutboxLedger(store, batches, clock, System::nanoTime);
        }
        return ledger;
    }

    /** One consumer per outbox: two would each hand out every reading. */
    synchronized void started(OutboxConsumer consumer) {
        String name = consumer.getEndpoint().getName();
        for (OutboxConsumer other : consumers) {
            if (other.getEndpoint().getName().equals(name)) {
                throw new IllegalStateException("outbox:" + name + " has a consumer already (route " + other.getRouteId()
                        + "): only one route may take readings from it; a copy of the publish route replaces the"
                        + " built-in one through UPLINK_PUBLISH_ROUTE, not in the routes directory");
            }
        }
        consumers.add(consumer);
    }

    synchronized void stopped(OutboxConsumer consumer) {
        consumers.remove(consumer);
    }

    /**
     * Where a reading goes that the consumer sets aside (a failure that would repeat): the dead-letter route, which
     * finds a {@link ReadingSetAsideException} as the caught exception. None: such readings wait, tried again rarely.
     */
    public void setDeadLetterUri(String deadLetterUri) {
        this.deadLetterUri = deadLetterUri;
    }

    String deadLetterUri() {
        return deadLetterUri;
    }

    /** How long each kind of reading may wait before it expires (the producer stamps it on each reading). */
    public void setTimeToLive(TimeToLive timeToLive) {
        this.timeToLive = timeToLive;
    }

    TimeToLive timeToLive() {
        return timeToLive;
    }

    /**
     * Whether enough publishes already wait for the quotas (the client's shaper): the consumer then hands out nothing
     * more, so readings wait in the outbox, where the lanes decide what goes next, not in the shaper's line.
     */
    public void setQuotaLineFull(BooleanSupplier quotaLineFull) {
        this.quotaLineFull = quotaLineFull;
    }

    BooleanSupplier quotaLineFull() {
        return quotaLineFull;
    }

    /** The clock readings expire by (a simulated one in tests). */
    public void setClock(Clock clock) {
        this.clock = clock;
    }

    Clock clock() {
        return clock;
    }

    OutboxStore store() {
        return store;
    }

    BatchEnvelope batches() {
        return batches;
    }

    BooleanSupplier ready() {
        return ready;
    }

    IntSupplier receiveMaximum() {
        return receiveMaximum;
    }

    OutboxListener listener() {
        return listener;
    }
}
