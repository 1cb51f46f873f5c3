package io.iotuplink.status;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApplicationStateTest {

    private final ApplicationState state = new ApplicationState();

    @Test
    void aChangeWhoseEventIsRefusedLeavesTheStateAsItWas() {
        assertThrows(IllegalStateException.class, () -> state.change("collecting_data", previous -> {
            throw new IllegalStateException("outbox full");
        }));

        assertEquals("idle", state.current());
    }

    @Test
    void theStateChangesOnceTheEventIsAccepted() {
        assertEquals("idle", state.change("collecting_data", previous -> assertEquals("idle", state.current())));

        assertEquals("collecting_data", state.current());
    }

    @Test
    void aSecondChangeWaitsForTheFirstsEventAndSeesItsState() throws Exception {
        CountDownLatch accepting = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> state.change("a", previous -> {
            accepting.countDown();
            await(release);
        }));
        assertTrue(accepting.await(5, TimeUnit.SECONDS));

        CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> state.change("b", previous -> { }));
        Thread.sleep(200);
        assertFalse(second.isDone(), "the second change ran while the first's event was being accepted");
        release.countDown();

        assertEquals("idle", first.get(5, TimeUnit.SECONDS));
        assertEquals("a", second.get(5, TimeUnit.SECONDS));
        assertEquals("b", state.current());
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
