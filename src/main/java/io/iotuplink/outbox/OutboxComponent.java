package io.iotuplink.outbox;

import io.iotuplink.config.TimeToLive;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
    /** Seqs of published readings a stopped consumer could not remove, by outbox name, for its successor. */
    private final Map<String, long[]> unremoved = new ConcurrentHashMap<>();
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

    /** Exchanges the running consumers have handed out and not settled yet. */
    public int inFlight() {
        return consumers.stream().mapToInt(OutboxConsumer::inFlight).sum();
    }

    /** Completed readings waiting for a removal that failed (a full disk) to be tried again. */
    public int awaitingRemoval() {
        return consumers.stream().mapToInt(OutboxConsumer::awaitingRemoval).sum();
    }

    /** The most exchanges a consumer had out at once since it started. */
    public int peakInFlight() {
        return consumers.stream().mapToInt(OutboxConsumer::peakInFlight).max().orElse(0);
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

    /** Hands published readings a stopping consumer could not remove to the next consumer of {@code name}. */
    void keepUnremoved(String name, long[] seqs) {
        unremoved.put(name, seqs.clone());
    }

    /** What the consumer of {@code name} before could not remove (empty when nothing). */
    long[] takeUnremoved(String name) {
        long[] seqs = unremoved.remove(name);
        return seqs == null ? new long[0] : seqs;
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
