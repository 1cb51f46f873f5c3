package io.iotuplink.support;

import io.iotuplink.local.ThrowawayPki;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A Mosquitto broker (Debian package {@code mosquitto}) started by the test: MQTT 5 over mutual TLS on a free
 * loopback port, the certificate's CN as the user name, and an ACL like the seed's AWS IoT policy.
 */
public final class Mosquitto implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path dir;
    private final ThrowawayPki pki;

    private Mosquitto(Process process, int port, Path dir, ThrowawayPki pki) {
        this.process = process;
        this.port = port;
        this.dir = dir;
        this.pki = pki;
    }

    /**
     * Starts Mosquitto; {@code acl} holds mosquitto ACL lines ({@code user NAME}, {@code topic write T}). Without
     * the program the test is skipped on a developer's machine and fails under {@code CI=true}.
     */
    public static Mosquitto start(Path dir, List<String> acl) {
        return start(dir, acl, List.of());
    }

    /** The same, with more lines for {@code mosquitto.conf} ({@code max_inflight_messages 100}, ...). */
    public static Mosquitto start(Path dir, List<String> acl, List<String> moreConfig) {
        Path binary = List.of(Path.of("/usr/sbin/mosquitto"), Path.of("/usr/bin/mosquitto")).stream()
                .filter(Files::isExecutable).findFirst().orElse(null);
        if (binary == null) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("mosquitto is not installed; .ci/run installs the Debian package mosquitto");
            }
            Assumptions.abort("mosquitto is not installed (apt-get install mosquitto)");
        }
        try {
            Files.createDirectories(dir);
            ThrowawayPki pki = ThrowawayPki.create("mosquitto test CA");
            pki.writeCa(dir.resolve("ca.pem"));
            ThrowawayPki.Issued server = pki.issueServer("localhost");
            server.writeCertificate(dir.resolve("server.crt"));
            server.writeTraditionalKey(dir.resolve("server.key"));
            Files.write(dir.resolve("acl"), acl);
            int port = TestBroker.freePort();
            Files.writeString(dir.resolve("mosquitto.conf"), String.join("\n",
                    "user root",
                    "persistence false",
                    "log_dest stdout",
                    "log_type error",
                    "log_type warning",
                    "log_type notice",
                    "log_type information",
                    "listener " + port + " 127.0.0.1",
                    "protocol mqtt",
                    "cafile " + dir.resolve("ca.pem"),
                    "certfile " + dir.resolve("server.crt"),
                    "keyfile " + dir.resolve("server.key"),
                    "require_certificate true",
                    "use_identity_as_username true",
                    "tls_version tlsv1.2",
                    "acl_file " + dir.resolve("acl"),
                    String.join("\n", moreConfig),
                    ""));
            Process process = new ProcessBuilder(binary.toString(), "-c", dir.resolve("mosquitto.conf").toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("mosquitto.log").toFile()).start();
            Mosquitto mosquitto = new Mosquitto(process, port, dir, pki);
            mosquitto.awaitListening();
            return mosquitto;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitListening() {
        RunningBundle.await(() -> {
            if (!process.isAlive()) {
                throw new AssertionError("mosquitto exited: " + log());
            }
            try (Socket socket = new Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        }, Duration.ofSeconds(20), "mosquitto to listen on " + port);
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    /** Device files for a client whose certificate CN (and so its mosquitto user) is {@code name}. */
    public TestBroker.DeviceFiles device(String name) {
        ThrowawayPki.Issued issued = pki.issueDevice(name, ThrowawayPki.KeyType.RSA);
        issued.writeCertificate(dir.resolve(name + ".pem.crt"));
        issued.writeTraditionalKey(dir.resolve(name + ".pem.key"));
        return new TestBroker.DeviceFiles(dir.resolve(name + ".pem.crt"), dir.resolve(name + ".pem.key"),
                dir.resolve("ca.pem"));
    }

    public String log() {
        try {
            return Files.readString(dir.resolve("mosquitto.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
