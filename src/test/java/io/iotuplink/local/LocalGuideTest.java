package io.iotuplink.local;

import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code mosquitto_sub} and {@code mosquitto_pub} lines {@code --local} prints, pasted into a shell as a
 * newcomer would (Debian package {@code mosquitto-clients}): they watch the topics and get the bundle's answer.
 */
class LocalGuideTest {

    @TempDir
    Path dir;

    @Test
    void thePrintedLinesWatchTheTopicsAndPingTheBundle() throws Exception {
        requireMosquittoClients();
        Map<String, String> env = Map.of(
                "UPLINK_LOCAL_PORT", String.valueOf(TestBroker.freePort()),
                "CAMEL_SERVER_PORT", String.valueOf(TestBroker.freePort()),
                "DEVICE_ID", "bombercat-local",
                "UPLINK_KEEPALIVE_INTERVAL", "1s",
                // a space in the paths: the printed lines must quote them
                "UPLINK_DATA_DIR", "my data");

        try (BundleProcess bundle = BundleProcess.start(dir, env, "--local")) {
            bundle.awaitOutput("MQTT connected", Duration.ofSeconds(60));
            String output = bundle.output();
            String watch = printedLine(output, "mosquitto_sub ");
            String ping = printedLine(output, "mosquitto_pub ");
            assertTrue(watch.contains("-p " + env.get("UPLINK_LOCAL_PORT") + " --cafile '"
                    + dir.toRealPath().resolve("my data/local-pki/ca.pem") + "' --cert '"
                    + dir.toRealPath().resolve("my data/local-pki/operator.pem.crt") + "'"), watch);

            Path watched = dir.resolve("watched.txt");
            Process watcher = shell(watch, watched);
            try {
                // the bundle's keepalive events reach it: it is subscribed
                RunningBundle.await(() -> read(watched).contains("bombercat/events {") || !watcher.isAlive(),
                        Duration.ofSeconds(15), "a keepalive on the watching mosquitto_sub");
                assertTrue(watcher.isAlive(), read(watched));

                Path sent = dir.resolve("sent.txt");
                Process sender = shell(ping, sent);
                assertTrue(sender.waitFor(15, TimeUnit.SECONDS), "mosquitto_pub did not exit");
                assertEquals(0, sender.exitValue(), read(sent));

                RunningBundle.await(() -> read(watched).lines().anyMatch(l -> l.startsWith("bombercat/events {")
                                && l.contains("\"event\":\"command_result\",\"metadata\":{\"command\":\"ping\","
                                + "\"status\":\"ok\",\"result\":{\"pong\":true},\"correlation_id\":\"c-1\"}")),
                        Duration.ofSeconds(15), "the ping's command_result on the watching mosquitto_sub");

                // the same line with the device's certificate: the broker refuses, as AWS IoT would
                Path refused = dir.resolve("refused.txt");
                Process asDevice = shell(ping.replace("operator.pem.crt", "device.pem.crt")
                        .replace("operator.pem.key", "private.pem.key"), refused);
                assertTrue(asDevice.waitFor(15, TimeUnit.SECONDS), "mosquitto_pub did not exit");
                assertTrue(read(refused).contains("Not authorized"), read(refused));
            } finally {
                watcher.destroy();
                watcher.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** The one line of the start log that begins with {@code command} (indented, ready to paste). */
    private static String printedLine(String output, String command) {
        List<String> lines = output.lines().filter(l -> l.startsWith("  " + command)).toList();
        assertEquals(1, lines.size(), "printed once: " + output);
        return lines.get(0).strip();
    }

    private Process shell(String line, Path output) throws IOException {
        return new ProcessBuilder("bash", "-c", "exec " + line).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Without the programs the test is skipped on a developer's machine and fails under {@code CI=true}. */
    private static void requireMosquittoClients() {
        boolean installed = List.of("mosquitto_sub", "mosquitto_pub").stream().allMatch(program ->
                List.of("/usr/bin/", "/usr/local/bin/").stream().anyMatch(d -> Files.isExecutable(Path.of(d + program))));
        if (!installed) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("mosquitto_sub/mosquitto_pub are not installed; .ci/run installs the Debian"
                        + " package mosquitto-clients");
            }
            Assumptions.abort("mosquitto_sub/mosquitto_pub are not installed (apt-get install mosquitto-clients)");
        }
    }
}
