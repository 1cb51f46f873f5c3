package io.iotuplink.outbox;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/** The ledger's operations for the store benchmark (the ledger is the outbox package's own). */
public final class LedgerBench {

    private final OutboxLedger ledger;

    public LedgerBench(OutboxStore store, BatchEnvelope batches, Clock clock, LongSupplier nanos) {
        this.ledger = new OutboxLedger(store, batches, clock, nanos);
    }

    public OutboxStore.Books books() {
        return ledger.books();
    }

    /** Hands out {@code units} units of up to {@code batch} readings and reports each published. */
    public void handOutAndComplete(int units, int batch) {
        ledger.lock().lock();
        try {
            List<OutboxLedger.Unit> out = new ArrayList<>();
            for (int i = 0; i < units; i++) {
                OutboxLedger.Unit unit = ledger.next(Integer.MAX_VALUE, batch, 0).unit();
                if (unit == null) {
                    break;
                }
                out.add(unit);
            }
            out.forEach(unit -> ledger.completed(unit, false));
        } finally {
            ledger.lock().unlock();
        }
    }

    public void removeFinished() {
        ledger.removeFinished();
    }

    public void sweep() {
        ledger.sweep();
    }
}
