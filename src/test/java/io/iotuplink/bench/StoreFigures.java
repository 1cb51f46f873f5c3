package io.iotuplink.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.Reading;
import io.iotuplink.outbox.BatchEnvelope;
import io.iotuplink.outbox.Lane;
import io.iotuplink.outbox.LedgerBench;
import io.iotuplink.outbox.OutboxStore;
import io.iotuplink.outbox.WhenFull;
import io.iotuplink.support.SimulatedClock;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The outbox's operations on a large outbox (a million rows by default, {@code bench.store-rows}): appends, opening
 * it, hand-out and removal, a sweep with nothing expired and one that expires everything, drop-oldest, the books
 * and the oldest reading's age. Each is printed with its time; none may grow a statement with its input.
 */
final class StoreFigures {

    private StoreFigures() {
    }

    static void run(Path dir) {
        int rows = Integer.getInteger("bench.store-rows", 1_000_000);
        SimulatedClock wall = new SimulatedClock(Instant.parse("2026-12-08T00:00:00Z"));
        AtomicLong nanos = new AtomicLong(System.nanoTime());
        Path file = dir.resolve("store-bench.db");
        System.out.printf("%nThe outbox with %,d rows (%s)%n", rows, file);
        System.out.printf("| operation | time | |%n| --- | --- | --- |%n");
        long ttl = Duration.ofHours(1).toMillis();
        try (OutboxStore store = OutboxStore.open(file, rows, 1L << 40, WhenFull.DROP_OLDEST)) {
            long took = time(() -> {
                for (int done = 0; done < rows; done += 1_000) {
                    store.append(readings(done, Math.min(1_000, rows - done), wall.millis()), null,
                            r -> wall.millis() + ttl);
                }
            });
            row(String.format("append %,d readings, 1,000 a transaction", rows), took,
                    String.format("%,.0f readings/s", rows * 1e9 / took));
        }
        OutboxStore[] opened = new OutboxStore[1];
        row("open it (depth, bytes, books)", time(() -> opened[0] = OutboxStore.open(file, rows, 1L << 40,
                WhenFull.DROP_OLDEST)), "");
        try (OutboxStore store = opened[0]) {
            LedgerBench ledger = new LedgerBench(store, new BatchEnvelope(new ObjectMapper(), "bench", wall), wall,
                    nanos::get);
            row("books()", time(ledger::books), ledger.books().toString());
            row("oldest reading's age, per lane", time(() -> store.oldestAgeSeconds(Lane.BULK)), "");
            row("hand out and complete 10,000 readings", time(() -> ledger.handOutAndComplete(10_000, 1)), "");
            row("remove them (5,000 a transaction)", time(ledger::removeFinished), "");
            row("hand out and complete 200 batches of 500", time(() -> ledger.handOutAndComplete(200, 500)), "");
            row("remove them", time(ledger::removeFinished), "");
            row("a sweep, nothing expired", time(ledger::sweep), "");
            LongSupplier dropped = () -> store.books().dropped();
            long droppedBefore = dropped.getAsLong();
            int room = (int) (rows - store.depth());
            for (int done = 0; done < room; done += 1_000) {
                store.append(readings(rows + done, Math.min(1_000, room - done), wall.millis()), null,
                        r -> wall.millis() + ttl);
            }
            long before = store.depth();
            long full = time(() -> store.append(readings(2 * rows, 10_000, wall.millis()), null,
                    r -> wall.millis() + ttl));
            row("append 10,000 into a full outbox (drop-oldest)", full, (dropped.getAsLong() - droppedBefore)
                    + " dropped");
            wall.advance(Duration.ofHours(2));
            nanos.addAndGet(Duration.ofHours(2).toNanos());
            long expiredBefore = store.books().expired();
            row("a sweep that expires everything (1,000 a transaction)", time(ledger::sweep),
                    (store.books().expired() - expiredBefore) + " expired of " + before);
            System.out.printf("books: %s%n", ledger.books());
        }
    }

    private static List<PreparedReading> readings(int from, int count, long acceptedAt) {
        List<PreparedReading> readings = new ArrayList<>(count);
        for (int i = from; i < from + count; i++) {
            String id = "bench-" + i;
            readings.add(new PreparedReading(new Reading(Reading.Kind.TELEMETRY, id, acceptedAt, null,
                    JsonNodeFactory.instance.objectNode()), ("{\"timestamp\":1.0,\"device_id\":\"bench\",\"data\":"
                    + "{\"n\":" + i + "}}").getBytes(StandardCharsets.UTF_8), "bombercat/telemetry"));
        }
        return readings;
    }

    private static long time(Runnable work) {
        long start = System.nanoTime();
        work.run();
        return System.nanoTime() - start;
    }

    private static void row(String operation, long nanos, String note) {
        System.out.printf("| %s | %.3f s | %s |%n", operation, nanos / 1e9, note);
    }
}
