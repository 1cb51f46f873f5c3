package io.iotuplink.tls;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * A TLS connection's output as Paho writes it. Paho flushes after every packet, and each flush of a TLS socket is a
 * TLS record and a write to the network, so every publish paid for its own record, encryption and system call, and
 * the broker for reading and decrypting it. Here a flush hands what was written to a writer thread of the
 * connection's own ({@code uplink-tls-writer host:port}), which sends all that has come in by then as one write: a
 * burst of publishes goes out in a few records instead of one each, and a lone publish goes out at once. A writer
 * that runs ahead of the network by more than {@value #MAX_PENDING} bytes waits, so a slow link still slows the
 * publisher.
 */
final class CoalescingOutputStream extends OutputStream {

    /** How much may wait to be sent before a write blocks. */
    static final int MAX_PENDING = 256 * 1024;
    /** How long {@link #close} lets the writer send what is still pending. */
    private static final long CLOSE_WAIT_MILLIS = 2_000;

    private final OutputStream out;
    private final Closeable connection;
    private final Thread writer;
    private byte[] pending = new byte[8192];
    private int length;
    /** The buffer the writer is not using; null while it sends it. */
    private byte[] spare = new byte[8192];
    private boolean flushRequested;
    private boolean closed;
    private IOException failure;

    /**
     * @param out        the TLS socket's own output stream
     * @param connection the TCP connection under the TLS socket: closed when a write fails, so that the reading side
     *                   learns of it too, and when a write is stuck at close
     * @param peer       the other end, in the writer thread's name
     */
    CoalescingOutputStream(OutputStream out, Closeable connection, String peer) {
        this.out = out;
        this.connection = connection;
        this.writer = new Thread(this::sendPending, "uplink-tls-writer " + peer);
        writer.setDaemon(true);
        writer.start();
    }

    @Override
    public void write(int b) throws IOException {
        synchronized (this) {
            room(1);
            pending[length++] = (byte) b;
        }
    }

    @Override
    public void write(byte[] bytes, int offset, int count) throws IOException {
        synchronized (this) {
            room(count);
            System.arraycopy(bytes, offset, pending, length, count);
            length += count;
        }
    }

    /** Waits while too much is pending, then makes room for {@code count} more bytes (holding the lock). */
    private void room(int count) throws IOException {
        ensureOpen();
        while (length > 0 && length + count > MAX_PENDING) {
            // a packet larger than what may wait comes in pieces before its flush: send what is here meanwhile
            flushRequested = true;
            notifyAll();
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while the TLS connection's writes were pending");
            }
            ensureOpen();
        }
        if (length + count > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(length + count, pending.length * 2));
        }
    }

    /** Hands what was written to the writer thread; returns at once. */
    @Override
    public void flush() throws IOException {
        synchronized (this) {
            ensureOpen();
            if (length > 0 && !flushRequested) {
                flushRequested = true;
                notifyAll();
            }
        }
    }

    private void ensureOpen() throws IOException {
        if (failure != null) {
            throw new IOException("the TLS connection failed: " + failure.getMessage(), failure);
        }
        if (closed) {
            throw new IOException("the TLS connection is closed");
        }
    }

    /** The writer thread: sends whatever is pending once a flush asks for it, until closed. */
    private void sendPending() {
        while (true) {
            byte[] chunk;
            int count;
            synchronized (this) {
                while (!closed && !(flushRequested && length > 0)) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                // closed, with nothing left to send
                if (length == 0 || failure != null) {
                    notifyAll();
                    return;
                }
                chunk = pending;
                count = length;
                pending = spare;
                spare = null;
                length = 0;
                flushRequested = false;
                notifyAll();
            }
            try {
                out.write(chunk, 0, count);
                out.flush();
            } catch (IOException e) {
                synchronized (this) {
                    failure = e;
                    notifyAll();
                }
                closeQuietly();
                return;
            }
            synchronized (this) {
                spare = chunk;
                notifyAll();
            }
        }
    }

    /**
     * Sends what is pending and stops the writer thread. A network that takes more than two seconds for it (a broker
     * that stopped reading, a dead link) has the connection closed under the stuck write, which fails it: the TLS
     * socket's close would otherwise wait for that write for as long as TCP takes to give up.
     */
    @Override
    public void close() throws IOException {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            notifyAll();
        }
        if (Thread.currentThread() == writer) {
            return;
        }
        try {
            writer.join(CLOSE_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            closeQuietly();
        }
    }

    private void closeQuietly() {
        try {
            connection.close();
        } catch (IOException ignored) {
            // the connection is failing anyway
        }
    }
}
