package io.iotuplink.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay between a client and a broker that counts the TLS records the client sends (it reads their 5-byte
 * headers, nothing inside them), as a network capture would, and that can be told to go silent: the connections stay
 * open and every byte either way is dropped (a partition without RST), until it is told to forward again. It can
 * also stand for a broker that goes down and comes back on the same port ({@link #cut}, {@link #restore}) while the
 * real broker behind it keeps running: a JVM holds one embedded broker at a time, and starting one costs seconds.
 */
public final class TlsRecordRelay implements AutoCloseable {

    private static final int APPLICATION_DATA = 23;

    private final int port;
    private final int target;
    private final AtomicInteger applicationRecords = new AtomicInteger();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket listener;
    private volatile boolean silent;

    private TlsRecordRelay(int port, int target) throws IOException {
        this.target = target;
        listen(port);
        this.port = listener.getLocalPort();
    }

    /** Relays connections on a port of its own to {@code targetPort} on this machine. */
    public static TlsRecordRelay to(int targetPort) throws IOException {
        return new TlsRecordRelay(0, targetPort);
    }

    /**
     * Relays connections on {@code port} to {@code targetPort}: a broker that appears at {@code port} now, where a
     * client had been refused so far.
     */
    public static TlsRecordRelay from(int port, int targetPort) throws IOException {
        return new TlsRecordRelay(port, targetPort);
    }

    public int port() {
        return port;
    }

    /** TLS records of application data the clients sent so far (in TLS 1.3, everything after the ClientHello). */
    public int applicationRecords() {
        return applicationRecords.get();
    }

    /** Drops every byte either way from now on ({@code true}), or forwards again ({@code false}). */
    public void silent(boolean silent) {
        this.silent = silent;
    }

    /**
     * As a broker that stops: closes every relayed connection (the client reads EOF) and the port (new connections
     * are refused) until {@link #restore}.
     */
    public void cut() throws IOException {
        listener.close();
        for (Socket socket : open) {
            closeQuietly(socket);
        }
    }

    /** As the broker back on the same port after {@link #cut}. */
    public void restore() throws IOException {
        listen(port);
    }

    private void listen(int on) throws IOException {
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), on), 50);
        listener = socket;
        Thread accepting = new Thread(() -> accept(socket), "tls-record-relay");
        accepting.setDaemon(true);
        accepting.start();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    private void accept(ServerSocket listening) {
        while (!listening.isClosed()) {
            try {
                Socket client = listening.accept();
                Socket broker = new Socket(InetAddress.getLoopbackAddress(), target);
                open.add(client);
                open.add(broker);
                pump(client.getInputStream(), broker.getOutputStream(), true, client, broker);
                pump(broker.getInputStream(), client.getOutputStream(), false, client, broker);
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void pump(InputStream in, OutputStream out, boolean fromClient, Socket client, Socket broker) {
        Thread pumping = new Thread(() -> {
            try (client; broker) {
                if (fromClient) {
                    byte[] header = new byte[5];
                    while (in.readNBytes(header, 0, 5) == 5) {
                        int length = (header[3] & 0xff) << 8 | header[4] & 0xff;
                        if (header[0] == APPLICATION_DATA) {
                            applicationRecords.incrementAndGet();
                        }
                        byte[] body = in.readNBytes(length);
                        if (!silent) {
                            out.write(header);
                            out.write(body);
                            out.flush();
                        }
                    }
                } else {
                    byte[] buffer = new byte[16 * 1024];
                    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                        if (!silent) {
                            out.write(buffer, 0, n);
                            out.flush();
                        }
                    }
                }
            } catch (IOException closed) {
                // either side went away
            } finally {
                open.remove(client);
                open.remove(broker);
            }
        }, "tls-record-relay-" + (fromClient ? "up" : "down"));
        pumping.setDaemon(true);
        pumping.start();
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
