package io.iotuplink.tls;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The TLS connection's coalescing output, against a network stand-in that is slow, fails or stalls. */
class CoalescingOutputStreamTest {

    /** A network stand-in: keeps what it is sent, counts the writes, each taking {@code writeMillis}. */
    private static final class SlowNetwork extends OutputStream {
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final AtomicInteger writes = new AtomicInteger();
        final long writeMillis;

        SlowNetwork(long writeMillis) {
            this.writeMillis = writeMillis;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int count) {
            writes.incrementAndGet();
            try {
                Thread.sleep(writeMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (received) {
                received.write(bytes, offset, count);
            }
        }

        byte[] bytes() {
            synchronized (received) {
                return received.toByteArray();
            }
        }
    }

    /** Waits at most five seconds for {@code condition}. */
    private static void waitUntil(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    @Test
    void everyPacketArrivesWholeAndInOrderAndABurstSharesWrites() throws Exception {
        SlowNetwork network = new SlowNetwork(1);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        CoalescingOutputStream out = new CoalescingOutputStream(network, () -> { }, "test");
        for (int i = 0; i < 2_000; i++) {
            byte[] packet = ("publish " + i + ";").getBytes(StandardCharsets.US_ASCII);
            out.write(packet);
            out.flush();
            expected.write(packet);
        }
        out.close();

        assertArrayEquals(expected.toByteArray(), network.bytes());
        assertTrue(network.writes.get() < 200, "2,000 flushes while a write takes 1 ms: " + network.writes.get()
                + " writes to the network");
    }

    @Test
    void aLonePacketGoesOutWithoutWaitingForMore() throws Exception {
        SlowNetwork network = new SlowNetwork(0);
        CoalescingOutputStream out = new CoalescingOutputStream(network, () -> { }, "test");
        out.write("PINGREQ".getBytes(StandardCharsets.US_ASCII));
        out.flush();

        waitUntil(() -> network.bytes().length > 0);
        assertEquals("PINGREQ", new String(network.bytes(), StandardCharsets.US_ASCII));
        out.close();
    }

    @Test
    void closingSendsWhatIsStillPending() throws Exception {
        SlowNetwork network = new SlowNetwork(20);
        CoalescingOutputStream out = new CoalescingOutputStream(network, () -> { }, "test");
        out.write("PUBLISH".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        out.write("DISCONNECT".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        out.close();

        assertEquals("PUBLISHDISCONNECT", new String(network.bytes(), StandardCharsets.US_ASCII));
    }

    @Test
    void aFailedNetworkWriteClosesTheConnectionAndFailsTheNextWrite() throws Exception {
        AtomicBoolean closed = new AtomicBoolean();
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Broken pipe");
            }
        };
        CoalescingOutputStream out = new CoalescingOutputStream(broken, () -> closed.set(true), "test");
        out.write(1);
        out.flush();

        waitUntil(closed::get);
        assertTrue(closed.get(), "the connection is closed, so Paho's reader learns of the failure");
        IOException next = assertThrows(IOException.class, () -> out.write(2));
        assertTrue(next.getMessage().contains("Broken pipe"), next.getMessage());
    }

    @Test
    void aWriterRunningAheadOfAStalledNetworkWaits() throws Exception {
        CountDownLatch stalled = new CountDownLatch(1);
        OutputStream network = new OutputStream() {
            @Override
            public void write(int b) {
            }

            @Override
            public void write(byte[] bytes, int offset, int count) {
                try {
                    stalled.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        CoalescingOutputStream out = new CoalescingOutputStream(network, () -> { }, "test");
        byte[] chunk = new byte[16 * 1024];
        CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
            try {
                // the first flush is taken by the stalled write; then at most MAX_PENDING may wait
                for (int i = 0; i < 3 * CoalescingOutputStream.MAX_PENDING / chunk.length; i++) {
                    out.write(chunk);
                    out.flush();
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });

        assertThrows(TimeoutException.class, () -> writing.get(300, TimeUnit.MILLISECONDS));
        stalled.countDown();
        writing.get(10, TimeUnit.SECONDS);
        out.close();
    }
}
