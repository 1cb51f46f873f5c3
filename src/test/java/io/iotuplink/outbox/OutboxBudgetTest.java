package io.iotuplink.outbox;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.Reading;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Room claimed in the outbox before an input builds its records. */
class OutboxBudgetTest {

    @TempDir
    Path dir;

    private static List<PreparedReading> readings(int n) {
        List<PreparedReading> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            batch.add(new PreparedReading(new Reading(Reading.Kind.TELEMETRY, "id-" + i, 1_000L, null,
                    JsonNodeFactory.instance.objectNode()), "{}".getBytes(StandardCharsets.UTF_8),
                    "bombercat/telemetry"));
        }
        return batch;
    }

    @Test
    void aFullOutboxThatRefusesHasNoRoomForMoreThanItLacks() {
        try (OutboxStore store = OutboxStore.open(dir.resolve("outbox.db"), 10, 1 << 20, WhenFull.REJECT)) {
            store.append(readings(8));
            OutboxBudget budget = new OutboxBudget(store, 10, WhenFull.REJECT);

            OutboxFullException full = assertThrows(OutboxFullException.class, () -> budget.claim(3));

            assertTrue(full.getMessage().contains("room for 2 more readings (8 of 10 waiting"), full.getMessage());
            assertDoesNotThrow(() -> budget.claim(2).close());
        }
    }

    @Test
    void concurrentClaimsShareTheRoomUntilTheyAreClosed() {
        try (OutboxStore store = OutboxStore.open(dir.resolve("outbox.db"), 10, 1 << 20, WhenFull.REJECT)) {
            OutboxBudget budget = new OutboxBudget(store, 10, WhenFull.REJECT);

            OutboxBudget.Claim first = budget.claim(7);
            OutboxFullException busy = assertThrows(OutboxFullException.class, () -> budget.claim(7));
            assertTrue(busy.getMessage().contains("7 on their way in"), busy.getMessage());
            first.close();
            first.close();

            assertDoesNotThrow(() -> budget.claim(10));
        }
    }

    @Test
    void anOutboxThatDropsTheOldestStillTakesInAtMostItsSizeAtOnce() {
        try (OutboxStore store = OutboxStore.open(dir.resolve("outbox.db"), 10, 1 << 20, WhenFull.DROP_OLDEST)) {
            store.append(readings(10));
            OutboxBudget budget = new OutboxBudget(store, 10, WhenFull.DROP_OLDEST);

            OutboxBudget.Claim all = budget.claim(10);

            assertThrows(OutboxFullException.class, () -> budget.claim(1));
            all.close();
        }
    }
}
