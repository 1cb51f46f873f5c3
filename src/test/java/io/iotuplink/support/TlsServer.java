package io.iotuplink.support;

import io.iotuplink.local.ThrowawayPki;
import io.iotuplink.tls.PemFiles;
import io.iotuplink.tls.PemTlsContext;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.function.Consumer;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A bare TLS server for {@code localhost} with a certificate from a throwaway CA, that hands each connection it
 * accepts to the test (no MQTT behind it), and the client side's TLS context trusting that CA.
 */
public final class TlsServer implements AutoCloseable {

    private final SSLServerSocket listener;
    private final PemTlsContext client;

    private TlsServer(SSLServerSocket listener, PemTlsContext client) {
        this.listener = listener;
        this.client = client;
    }

    /** Starts it; {@code accepted} runs on a thread of its own for each connection, which it must close. */
    public static TlsServer start(Path dir, Consumer<SSLSocket> accepted) throws Exception {
        Files.createDirectories(dir);
        ThrowawayPki pki = ThrowawayPki.create("tls server CA");
        char[] password = "tls-server".toCharArray();
        pki.issueServer("localhost").writePkcs12(dir.resolve("server.p12"), pki.caCertificate(), password);
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
            store.load(in, password);
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, password);
        SSLContext server = SSLContext.getInstance("TLS");
        server.init(keys.getKeyManagers(), null, null);

        ThrowawayPki.Issued device = pki.issueDevice("bombercat-tls-client", ThrowawayPki.KeyType.RSA);
        device.writeCertificate(dir.resolve("device.crt"));
        device.writeTraditionalKey(dir.resolve("device.key"));
        pki.writeCa(dir.resolve("ca.pem"));
        PemTlsContext client = PemTlsContext.create(PemFiles.load(dir.resolve("device.crt"),
                dir.resolve("device.key"), dir.resolve("ca.pem")));

        SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0);
        Thread accepting = new Thread(() -> {
            while (!listener.isClosed()) {
                try {
                    SSLSocket socket = (SSLSocket) listener.accept();
                    Thread handling = new Thread(() -> accepted.accept(socket), "tls-server-connection");
                    handling.setDaemon(true);
                    handling.start();
                } catch (java.io.IOException closed) {
                    return;
                }
            }
        }, "tls-server");
        accepting.setDaemon(true);
        accepting.start();
        return new TlsServer(listener, client);
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** A client's TLS context whose device certificate comes from the same CA, and which trusts it. */
    public PemTlsContext clientTls() {
        return client;
    }

    @Override
    public void close() throws java.io.IOException {
        listener.close();
    }
}
