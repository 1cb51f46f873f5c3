package io.iotuplink.deploy;

import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bin/iot-uplink}, the image's entry point and the systemd unit's command: the JVM options for a small machine,
 * and a class data archive that the first run writes when it stops and every later start maps. Runs the jar that
 * {@code mvn package} built (failsafe, in {@code mvn verify}); {@link LauncherTest} covers its choices with a fake
 * {@code java}.
 */
class LauncherIT {

    @TempDir
    Path dir;

    @Test
    void theFirstRunWritesAClassDataArchiveThatLaterStartsUse() throws Exception {
        Path data = dir.resolve("data");

        List<String> first = runAndPublish("first", data, "");
        assertTrue(first.stream().anyMatch(o -> o.startsWith("-XX:ArchiveClassesAtExit=" + data + "/iot-uplink-")),
                "no archive yet: the first run writes one at its exit " + first);
        Path archive = archive(data);
        assertEquals(LauncherTest.ARCHIVE_MAGIC, magic(archive), "a whole archive");

        // -Xshare:on: the JVM refuses to start unless it maps the archive
        List<String> second = runAndPublish("second", data, "-Xshare:on");
        assertTrue(second.contains("-XX:SharedArchiveFile=" + archive), second.toString());
        assertEquals(List.of(archive), LauncherTest.archives(data), "the same archive, no other");
    }

    /**
     * Starts {@code bin/iot-uplink --local} with {@code JAVA_OPTS}, publishes a reading through it, stops it (exit 0,
     * no CDS chatter in its output) and answers the JVM options it ran with.
     */
    private List<String> runAndPublish(String name, Path data, String javaOptions) throws Exception {
        Path work = Files.createDirectories(dir.resolve(name));
        int http = TestBroker.freePort();
        Map<String, String> env = Map.of("UPLINK_LOCAL_PORT", String.valueOf(TestBroker.freePort()),
                "CAMEL_SERVER_PORT", String.valueOf(http), "DEVICE_ID", "bombercat-launcher",
                "UPLINK_KEEPALIVE_INTERVAL", "0", "UPLINK_DATA_DIR", data.toString(),
                "UPLINK_INBOX", work.resolve("inbox").toString(), "JAVA_OPTS", javaOptions);
        try (BundleProcess bundle = BundleProcess.startLauncher(work, env, "--local")) {
            bundle.awaitOutput("MQTT connected", Duration.ofSeconds(120));
            List<String> command = commandLine(bundle.pid());
            HttpResponse<String> accepted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + http + "/telemetry")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"run\": \"" + name + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(202, accepted.statusCode(), accepted.body());
            String id = RunningBundle.json(accepted.body()).get("message_ids").get(0).asText();
            bundle.awaitOutput("message_id=" + id, Duration.ofSeconds(30));

            bundle.terminate();
            assertEquals(0, bundle.waitForExit(Duration.ofSeconds(90)), bundle.output());
            assertFalse(bundle.output().contains("[cds"), bundle.output());
            assertFalse(bundle.output().contains("Exception"), bundle.output());
            return jvmOptions(command);
        }
    }

    /** The process's command line: the launcher execs the JVM, so it is java's, with the same pid. */
    private static List<String> commandLine(long pid) throws IOException {
        String raw = Files.readString(Path.of("/proc", String.valueOf(pid), "cmdline"));
        List<String> command = List.of(raw.split("\0"));
        assertTrue(command.get(0).endsWith("/bin/java"), "the launcher's shell made way for java " + command);
        assertEquals(List.of("-jar", Path.of("target", "iot-uplink.jar").toRealPath().toString(), "--local"),
                command.subList(command.size() - 3, command.size()));
        return command;
    }

    private static List<String> jvmOptions(List<String> command) {
        return command.subList(1, command.size() - 3).stream().filter(o -> !o.isEmpty()).toList();
    }

    private static Path archive(Path data) throws IOException {
        List<Path> archives = LauncherTest.archives(data);
        assertEquals(1, archives.size(), archives.toString());
        return archives.get(0);
    }

    private static String magic(Path archive) throws IOException {
        try (InputStream in = Files.newInputStream(archive)) {
            return HexFormat.of().formatHex(in.readNBytes(4));
        }
    }
}
