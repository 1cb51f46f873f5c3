package io.iotuplink.tls;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
                // the network's slowness itself, not a wait for something
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

    /** Work on the stream that may throw what a stream throws. */
    @FunctionalInterface
    private interface StreamWork {
        void run() throws IOException;
    }

    /** Runs {@code work} on another thread, as Paho's sender and its stop do. */
    private static CompletableFuture<Void> inBackground(StreamWork work) {
        return CompletableFuture.runAsync(() -> {
            try {
                work.run();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
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

        await().atMost(Duration.ofSeconds(5)).until(() -> network.bytes().length > 0);
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

        // the connection is closed, so Paho's reader learns of the failure
        await().atMost(Duration.ofSeconds(5)).untilTrue(closed);
        IOException next = assertThrows(IOException.class, () -> out.write(2));
        assertTrue(next.getMessage().contains("Broken pipe"), next.getMessage());
    }

    /** A network whose writes block until it is released, or fail once the connection under it is closed. */
    private static final class StalledNetwork extends OutputStream {
        final CountDownLatch released = new CountDownLatch(1);
        final AtomicBoolean connectionClosed = new AtomicBoolean();
        final AtomicInteger received = new AtomicInteger();

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int count) throws IOException {
            try {
                while (!released.await(10, TimeUnit.MILLISECONDS)) {
                    if (connectionClosed.get()) {
                        throw new IOException("Socket closed");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            received.addAndGet(count);
        }

        /** The TCP connection under it. */
        Closeable connection() {
            return () -> connectionClosed.set(true);
        }
    }

    @Test
    void aWriterRunningAheadOfAStalledNetworkWaits() throws Exception {
        StalledNetwork network = new StalledNetwork();
        CoalescingOutputStream out = new CoalescingOutputStream(network, network.connection(), "test");
        byte[] chunk = new byte[16 * 1024];
        int chunks = 3 * CoalescingOutputStream.MAX_PENDING / chunk.length;
        AtomicInteger written = new AtomicInteger();
        CompletableFuture<Void> writing = inBackground(() -> {
            for (int i = 0; i < chunks; i++) {
                out.write(chunk);
                out.flush();
                written.addAndGet(chunk.length);
            }
        });

        // the first flush is taken by the stalled write; then no more than MAX_PENDING may wait behind it
        await().atMost(Duration.ofSeconds(5)).until(() -> written.get() >= CoalescingOutputStream.MAX_PENDING);
        await("no more than twice MAX_PENDING taken").during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> written.get() <= 2 * CoalescingOutputStream.MAX_PENDING);
        assertFalse(writing.isDone(), "the writer waits for the network");
        network.released.countDown();
        writing.get(10, TimeUnit.SECONDS);
        out.close();
        assertEquals(chunks * chunk.length, network.received.get());
    }

    @Test
    void aPacketLargerThanWhatMayWaitGoesOutInPiecesBeforeItsFlush() throws Exception {
        SlowNetwork network = new SlowNetwork(0);
        CoalescingOutputStream out = new CoalescingOutputStream(network, () -> { }, "test");
        byte[] piece = new byte[8 * 1024];
        int pieces = 2 * CoalescingOutputStream.MAX_PENDING / piece.length;
        // as Paho's 8 KiB BufferedOutputStream hands over a large publish: in pieces, one flush at the end
        CompletableFuture<Void> writing = inBackground(() -> {
            for (int i = 0; i < pieces; i++) {
                out.write(piece);
            }
            out.flush();
        });

        writing.get(10, TimeUnit.SECONDS);
        out.close();
        assertEquals(pieces * piece.length, network.bytes().length);
    }

    @Test
    void closingWhileAWriteIsStuckOnTheNetworkClosesTheConnectionUnderIt() throws Exception {
        StalledNetwork network = new StalledNetwork();
        CoalescingOutputStream out = new CoalescingOutputStream(network, network.connection(), "test");
        out.write("PUBLISH".getBytes(StandardCharsets.US_ASCII));
        out.flush();

        CompletableFuture<Void> closing = inBackground(out::close);

        closing.get(10, TimeUnit.SECONDS);
        assertTrue(network.connectionClosed.get(), "the stuck write is failed by closing the connection under it");
    }
}
