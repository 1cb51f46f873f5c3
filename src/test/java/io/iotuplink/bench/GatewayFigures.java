package io.iotuplink.bench;

import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.Mosquitto;
import io.iotuplink.support.PeerClient;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * What a gateway feels of the bundle, measured as a user runs it ({@code java -jar target/iot-uplink.jar}): the
 * jars' sizes; the time from starting the process to the PUBACK of a reading waiting in the inbox, against a bare
 * Paho client's in a JVM of its own ({@link BarePaho}: PEM files, TLS, CONNECT, one QoS 1 PUBACK), on Mosquitto and
 * with {@code --local}; and the resident memory after a steady 1,000 readings/s with the JVM options given
 * ({@code bench.gateway-java-options}, by default the image's entry point's on a 1 GiB machine).
 */
final class GatewayFigures {

    static final Path JAR = Path.of("target", "iot-uplink.jar");
    static final Path BROKER_JAR = Path.of("target", "iot-uplink-local-broker.jar");
    private static final String DEVICE = "bombercat-gateway";
    private static final int ROUNDS = 3;

    private GatewayFigures() {
    }

    static void run(Path dir, int steadySeconds) throws Exception {
        List<String> parts = Arrays.asList(System.getProperty("bench.gateway-parts", "start,rss,local").split(","));
        List<String> jvm = Arrays.asList(System.getProperty("bench.gateway-java-options",
                "-XX:MaxRAM=1g -XX:MaxRAMPercentage=75").trim().split("\\s+"));
        System.out.printf("gateway: target/iot-uplink.jar %.1f MiB, target/iot-uplink-local-broker.jar %.1f MiB;"
                + " JVM options %s%n", Files.size(JAR) / 1048576.0, Files.size(BROKER_JAR) / 1048576.0, jvm);
        double bare = 0;
        double bundle;
        try (Mosquitto mosquitto = Mosquitto.start(dir.resolve("mosquitto"),
                List.of("user " + DEVICE, "topic readwrite bombercat/#"))) {
            TestBroker.DeviceFiles device = mosquitto.device(DEVICE);
            try (PeerClient watcher = new PeerClient(mosquitto.port(), device, "bench-watcher", "bombercat/#")) {
                double[] bares = new double[ROUNDS];
                double[] bundles = new double[ROUNDS];
                for (int round = 0; round < ROUNDS && (parts.contains("start") || parts.contains("local")); round++) {
                    bares[round] = bare(dir.resolve("bare-" + round), mosquitto.port(), device, watcher, round);
                    bundles[round] = !parts.contains("start") ? 0 : bundle(dir.resolve("bundle-" + round), mosquitto.port(), device, watcher, jvm,
                            round);
                }
                bare = median(bares);
                bundle = median(bundles);
            }
            System.out.printf("gateway: start to first PUBACK, medians of %d: bare Paho %.2f s, bundle %.2f s (%.1fx)%n",
                    ROUNDS, bare, bundle, bundle / bare);
            if (parts.contains("rss")) {
                rss(dir.resolve("steady"), mosquitto.port(), device, jvm, steadySeconds);
            }
        }
        if (!parts.contains("local")) {
            return;
        }
        double[] locals = new double[ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            locals[round] = local(dir.resolve("local-" + round), jvm);
        }
        double local = median(locals);
        System.out.printf("gateway: --local start to first PUBACK %.2f s (%.1fx the bare Paho client's)%n", local,
                local / bare);
    }

    /** Seconds from starting the bare client's JVM to its reading at the broker. */
    private static double bare(Path dir, int port, TestBroker.DeviceFiles device, PeerClient watcher, int round)
            throws Exception {
        Files.createDirectories(dir);
        String marker = "bare-" + round;
        long started = System.nanoTime();
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), BarePaho.class.getName(), "localhost",
                String.valueOf(port), device.certificate().toString(), device.key().toString(),
                device.ca().toString(), "bombercat/telemetry", marker)
                .redirectErrorStream(true).redirectOutput(dir.resolve("bare.log").toFile()).start();
        watcher.await(r -> r.text().contains("\"bare\": \"" + marker + "\""), Duration.ofSeconds(60));
        double seconds = (System.nanoTime() - started) / 1e9;
        process.waitFor(30, TimeUnit.SECONDS);
        return seconds;
    }

    /** Seconds from starting the bundle's JVM ({@code java -jar}) to the PUBACK of a reading already in its inbox. */
    private static double bundle(Path dir, int port, TestBroker.DeviceFiles device, PeerClient watcher,
            List<String> jvm, int round) throws Exception {
        Map<String, String> p = RunningBundle.properties("localhost:" + port, device, dir.resolve("data"));
        p.put("aws.iot.client-id", DEVICE);
        String marker = "{\"inbox_reading\": " + round + "}";
        waiting(Path.of(p.get("uplink.inbox")), marker);
        long started = System.nanoTime();
        try (BundleProcess bundle = BundleProcess.startJar(dir, BundleProcess.environment(p), jvm, JAR)) {
            watcher.await(r -> r.text().contains("\"inbox_reading\":" + round), Duration.ofSeconds(120));
            double seconds = (System.nanoTime() - started) / 1e9;
            bundle.terminate();
            bundle.waitForExit(Duration.ofSeconds(30));
            return seconds;
        }
    }

    /** Seconds from starting {@code java -jar target/iot-uplink.jar --local} to its broker receiving the inbox's reading. */
    private static double local(Path dir, List<String> jvm) throws Exception {
        Map<String, String> env = Map.of("UPLINK_LOCAL_PORT", String.valueOf(TestBroker.freePort()),
                "CAMEL_SERVER_PORT", String.valueOf(TestBroker.freePort()), "DEVICE_ID", "bombercat-local",
                "UPLINK_INBOX", dir.resolve("inbox").toString(), "UPLINK_DATA_DIR", dir.resolve("data").toString());
        waiting(dir.resolve("inbox"), "{\"local_reading\": 1}");
        long started = System.nanoTime();
        try (BundleProcess bundle = BundleProcess.startJar(dir, env, jvm, JAR, "--local")) {
            bundle.awaitOutput("\"data\":{\"local_reading\":1}", Duration.ofSeconds(180));
            double seconds = (System.nanoTime() - started) / 1e9;
            bundle.terminate();
            bundle.waitForExit(Duration.ofSeconds(30));
            return seconds;
        }
    }

    /** The bundle's resident memory after {@code seconds} at 1,000 readings/s (10 every 10 ms over HTTP). */
    private static void rss(Path dir, int port, TestBroker.DeviceFiles device, List<String> jvm, int seconds)
            throws Exception {
        Map<String, String> p = RunningBundle.properties("localhost:" + port, device, dir.resolve("data"));
        p.put("aws.iot.client-id", DEVICE);
        URI base = URI.create("http://127.0.0.1:" + p.get("camel.server.port"));
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest ten = HttpRequest.newBuilder(base.resolve("/telemetry")).header("Content-Type",
                "application/json").POST(HttpRequest.BodyPublishers.ofString(IntStream.range(0, 10)
                .mapToObj(i -> "{\"temperature\": 21.3, \"humidity\": 60.0, \"seq\": 123}")
                .collect(Collectors.joining(",", "[", "]")))).build();
        Map<String, String> env = new java.util.HashMap<>(BundleProcess.environment(p));
        String arenas = System.getProperty("bench.gateway-malloc-arena-max", "");
        if (!arenas.isBlank()) {
            env.put("MALLOC_ARENA_MAX", arenas); // glibc's malloc: fewer per-thread arenas, less resident memory
        }
        try (BundleProcess bundle = BundleProcess.startJar(dir, env, jvm, JAR)) {
            bundle.awaitOutput("MQTT connected", Duration.ofSeconds(120));
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            int posted = 0;
            List<String> samples = new ArrayList<>();
            while (System.nanoTime() < end) {
                long tick = System.nanoTime();
                if (http.send(ten, HttpResponse.BodyHandlers.discarding()).statusCode() == 202) {
                    posted += 10;
                }
                if (posted % 10_000 == 0) {
                    samples.add(ProcStats.residentMemory(bundle.pid()));
                }
                long sleep = 10_000_000L - (System.nanoTime() - tick);
                if (sleep > 0) {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                }
            }
            System.out.printf("gateway: resident memory %s after %d s at 1,000 readings/s (%d accepted; every 10 s:"
                    + " %s)%s%n", ProcStats.residentMemory(bundle.pid()), seconds, posted, samples,
                    arenas.isBlank() ? "" : " with MALLOC_ARENA_MAX=" + arenas);
            bundle.terminate();
            bundle.waitForExit(Duration.ofSeconds(30));
        }
    }

    /** A reading already waiting in {@code inbox} when the bundle starts (old enough to be read at once). */
    private static void waiting(Path inbox, String json) throws Exception {
        Path file = Files.createDirectories(inbox).resolve("waiting.json");
        Files.writeString(file, json);
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minusSeconds(60)));
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
