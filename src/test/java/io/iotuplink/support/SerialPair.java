package io.iotuplink.support;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A pair of linked pseudo-terminals made by {@code socat}: the bundle reads {@link #devicePath()} as its serial
 * port, the test writes lines on the other end. Closing it is unplugging the device; {@link #plugIn()} brings it
 * back under the same path.
 */
public final class SerialPair implements AutoCloseable {

    private final Path dir;
    private Process socat;

    private SerialPair(Path dir) {
        this.dir = dir;
    }

    /** Without socat the test is skipped on a developer's machine and fails under {@code CI=true}. */
    public static SerialPair start(Path dir) {
        if (!Files.isExecutable(Path.of("/usr/bin/socat"))) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("socat is not installed; .ci/run installs the Debian package socat");
            }
            Assumptions.abort("socat is not installed (apt-get install socat)");
        }
        SerialPair pair = new SerialPair(dir);
        pair.plugIn();
        return pair;
    }

    /** The path the bundle opens, like /dev/ttyUSB0. */
    public Path devicePath() {
        return dir.resolve("ttyUplink");
    }

    private Path testerPath() {
        return dir.resolve("ttyTester");
    }

    /** Creates the pair (again), under the same paths. */
    public void plugIn() {
        try {
            Files.createDirectories(dir);
            socat = new ProcessBuilder("/usr/bin/socat", "pty,raw,echo=0,link=" + devicePath(),
                    "pty,raw,echo=0,link=" + testerPath())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("socat.log").toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        RunningBundle.await(() -> Files.exists(devicePath()) && Files.exists(testerPath()), Duration.ofSeconds(10),
                "socat's pseudo-terminals");
    }

    /** Removes the pair, as pulling the USB plug does. */
    public void unplug() {
        socat.destroy();
        try {
            socat.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RunningBundle.await(() -> !Files.exists(devicePath()), Duration.ofSeconds(10), "the device to disappear");
    }

    /** Writes text (lines with their own line ends) as the device would. */
    public void write(String text) {
        try (OutputStream out = Files.newOutputStream(testerPath())) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (socat != null && socat.isAlive()) {
            socat.destroyForcibly();
        }
    }
}
