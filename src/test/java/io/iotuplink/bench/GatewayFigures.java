package io.iotuplink.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.Mosquitto;
import io.iotuplink.support.PeerClient;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import io.iotuplink.support.TlsRecordRelay;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * What a gateway feels of the bundle: the jars' sizes; the time from starting the process to the PUBACK of a reading
 * waiting in the inbox, against a bare Paho client's in a JVM of its own ({@link BarePaho}: PEM files, TLS, CONNECT,
 * one QoS 1 PUBACK), on Mosquitto and with {@code --local}; the resident memory after a steady 1,000 readings/s;
 * and a backlog drained at AWS's quotas. The bundle runs as a gateway runs it, with {@code bin/iot-uplink} (the
 * image's entry point: its JVM options, its class data archive, made by a first run) and, beside it, as
 * {@code java -jar target/iot-uplink.jar} with no option. {@code bench.gateway-java-options} (by default
 * {@code -XX:MaxRAM=1g}, a 1 GiB machine) goes to the launcher as {@code JAVA_OPTS}; {@code bench.gateway-parts}
 * picks parts ({@code start,rss,drain,local}).
 */
final class GatewayFigures {

    static final Path JAR = Path.of("target", "iot-uplink.jar");
    static final Path BROKER_JAR = Path.of("target", "iot-uplink-local-broker.jar");
    private static final String DEVICE = "bombercat-gateway";
    private static final int ROUNDS = 3;
    private static final int DRAIN_READINGS = 100_000;

    /** How the bundle is started: the launcher with its archive in {@code cds}, or a bare {@code java -jar}. */
    private record Start(String name, Path cds, String javaOptions) {

        /** The name as a directory's: letters and digits only. */
        String slug() {
            return name.replaceAll("\\W", "");
        }

        BundleProcess start(Path dir, Map<String, String> env, String... args) {
            if (cds == null) {
                return BundleProcess.startJar(dir, env, JAR, args);
            }
            Map<String, String> all = new HashMap<>(env);
            all.put("UPLINK_CDS_DIR", cds.toString());
            all.put("JAVA_OPTS", javaOptions);
            return BundleProcess.startLauncher(dir, all, args);
        }
    }

    private GatewayFigures() {
    }

    static void run(Path dir, int steadySeconds) throws Exception {
        List<String> parts = Arrays.asList(System.getProperty("bench.gateway-parts", "start,rss,drain,local")
                .split(","));
        String javaOptions = System.getProperty("bench.gateway-java-options", "-XX:MaxRAM=1g").trim();
        Start launcher = new Start("bin/iot-uplink", dir.resolve("cds"), javaOptions);
        Start jar = new Start("java -jar", null, "");
        System.out.printf("gateway: target/iot-uplink.jar %.1f MiB, target/iot-uplink-local-broker.jar %.1f MiB;"
                + " bin/iot-uplink with JAVA_OPTS=%s%n", Files.size(JAR) / 1048576.0, Files.size(BROKER_JAR) / 1048576.0,
                javaOptions);
        double bare = 0;
        try (Mosquitto mosquitto = Mosquitto.start(dir.resolve("mosquitto"),
                List.of("user " + DEVICE, "topic readwrite bombercat/#"))) {
            TestBroker.DeviceFiles device = mosquitto.device(DEVICE);
            try (PeerClient watcher = new PeerClient(mosquitto.port(), device, "bench-watcher", "bombercat/#")) {
                // the first run makes the launcher's class data archive, which the later ones use
                double first = bundle(dir.resolve("first"), mosquitto.port(), device, watcher, launcher, 99);
                if (parts.contains("start") || parts.contains("local")) {
                    double[] bares = new double[ROUNDS];
                    double[] jars = new double[ROUNDS];
                    double[] launched = new double[ROUNDS];
                    for (int round = 0; round < ROUNDS; round++) {
                        bares[round] = bare(dir.resolve("bare-" + round), mosquitto.port(), device, watcher, round);
                        jars[round] = bundle(dir.resolve("jar-" + round), mosquitto.port(), device, watcher, jar,
                                round);
                        launched[round] = bundle(dir.resolve("launched-" + round), mosquitto.port(), device,
                                watcher, launcher, 10 + round);
                    }
                    bare = median(bares);
                    System.out.printf("gateway: start to first PUBACK, medians of %d: bare Paho %.2f s; java -jar"
                            + " %.2f s (%.1fx); bin/iot-uplink %.2f s (%.1fx; its first start, which makes the class"
                            + " data archive: %.2f s)%n", ROUNDS, bare, median(jars), median(jars) / bare,
                            median(launched), median(launched) / bare, first);
                }
            }
            if (parts.contains("rss")) {
                for (Start start : List.of(launcher, jar)) {
                    rss(dir.resolve("steady-" + start.slug()), mosquitto.port(), device, start, steadySeconds);
                }
            }
            if (parts.contains("drain")) {
                for (Start start : List.of(launcher, jar)) {
                    drain(dir.resolve("drain-" + start.slug()), mosquitto.port(), device, start);
                }
            }
        }
        if (!parts.contains("local")) {
            return;
        }
        Start localLauncher = new Start(launcher.name(), dir.resolve("cds-local"), javaOptions);
        double first = local(dir.resolve("local-first"), localLauncher);
        double[] jars = new double[ROUNDS];
        double[] launched = new double[ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            jars[round] = local(dir.resolve("local-jar-" + round), jar);
            launched[round] = local(dir.resolve("local-launched-" + round), localLauncher);
        }
        System.out.printf("gateway: --local start to first PUBACK, medians of %d: java -jar %.2f s (%.1fx the bare"
                + " Paho client's); bin/iot-uplink %.2f s (%.1fx; first start %.2f s)%n", ROUNDS, median(jars),
                median(jars) / bare, median(launched), median(launched) / bare, first);
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

    /** Seconds from starting the bundle's JVM to the PUBACK of a reading already in its inbox; then a SIGTERM. */
    private static double bundle(Path dir, int port, TestBroker.DeviceFiles device, PeerClient watcher, Start how,
            int round) throws Exception {
        Map<String, String> p = RunningBundle.properties("localhost:" + port, device, dir.resolve("data"));
        p.put("aws.iot.client-id", DEVICE);
        String marker = "{\"inbox_reading\": " + round + "}";
        waiting(Path.of(p.get("uplink.inbox")), marker);
        long started = System.nanoTime();
        try (BundleProcess bundle = how.start(dir, BundleProcess.environment(p))) {
            watcher.await(r -> r.text().contains("\"inbox_reading\":" + round + "}"), Duration.ofSeconds(120));
            double seconds = (System.nanoTime() - started) / 1e9;
            bundle.terminate();
            int exit = bundle.waitForExit(Duration.ofSeconds(60)); // the first run writes the archive now
            if (exit != 0) {
                throw new IllegalStateException(how.name() + " exited " + exit + ":\n" + bundle.output());
            }
            return seconds;
        }
    }

    /** Seconds from starting the bundle with {@code --local} to its broker receiving the inbox's reading. */
    private static double local(Path dir, Start how) throws Exception {
        Map<String, String> env = Map.of("UPLINK_LOCAL_PORT", String.valueOf(TestBroker.freePort()),
                "CAMEL_SERVER_PORT", String.valueOf(TestBroker.freePort()), "DEVICE_ID", "bombercat-local",
                "UPLINK_INBOX", dir.resolve("inbox").toString(), "UPLINK_DATA_DIR", dir.resolve("data").toString());
        waiting(dir.resolve("inbox"), "{\"local_reading\": 1}");
        long started = System.nanoTime();
        try (BundleProcess bundle = how.start(dir, env, "--local")) {
            bundle.awaitOutput("\"data\":{\"local_reading\":1}", Duration.ofSeconds(180));
            double seconds = (System.nanoTime() - started) / 1e9;
            bundle.terminate();
            bundle.waitForExit(Duration.ofSeconds(60));
            return seconds;
        }
    }

    /** The bundle's resident memory after {@code seconds} at 1,000 readings/s (10 every 10 ms over HTTP). */
    private static void rss(Path dir, int port, TestBroker.DeviceFiles device, Start how, int seconds)
            throws Exception {
        Map<String, String> p = RunningBundle.properties("localhost:" + port, device, dir.resolve("data"));
        p.put("aws.iot.client-id", DEVICE);
        URI base = URI.create("http://127.0.0.1:" + p.get("camel.server.port"));
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest ten = HttpRequest.newBuilder(base.resolve("/telemetry")).header("Content-Type",
                "application/json").POST(HttpRequest.BodyPublishers.ofString(IntStream.range(0, 10)
                .mapToObj(i -> "{\"temperature\": 21.3, \"humidity\": 60.0, \"seq\": 123}")
                .collect(Collectors.joining(",", "[", "]")))).build();
        try (BundleProcess bundle = how.start(dir, BundleProcess.environment(p))) {
            bundle.awaitOutput("MQTT connected", Duration.ofSeconds(120));
            // a POST of 10 every 10 ms, each on its own (a slow answer does not hold the next one back)
            long start = System.nanoTime();
            long cpuAtStart = ProcStats.cpuNanos(bundle.pid());
            AtomicInteger posted = new AtomicInteger();
            List<CompletableFuture<?>> posts = new ArrayList<>();
            List<String> samples = new ArrayList<>();
            for (int tick = 0; tick < seconds * 100; tick++) {
                long sleep = start + tick * 10_000_000L - System.nanoTime();
                if (sleep > 0) {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                }
                posts.add(http.sendAsync(ten, HttpResponse.BodyHandlers.discarding()).thenAccept(r -> {
                    if (r.statusCode() == 202) {
                        posted.addAndGet(10);
                    }
                }));
                if (tick % 1_000 == 999) {
                    samples.add(ProcStats.residentMemory(bundle.pid()));
                }
            }
            CompletableFuture.allOf(posts.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
            double cpu = (ProcStats.cpuNanos(bundle.pid()) - cpuAtStart) / (double) (System.nanoTime() - start);
            System.out.printf("gateway: resident memory %s after %d s at 1,000 readings/s with %s, %.0f %% of one core"
                    + " (%d accepted; every 10 s: %s)%n", ProcStats.residentMemory(bundle.pid()), seconds, how.name(),
                    cpu * 100, posted.get(), samples);
            bundle.terminate();
            bundle.waitForExit(Duration.ofSeconds(60));
        }
    }

    /**
     * Readings/s published from a backlog of {@value #DRAIN_READINGS} (posted while a relay to the broker is cut) in
     * gzip batches of 500 at AWS's quotas (the shaper on): what the JVM options must not slow down.
     */
    private static void drain(Path dir, int port, TestBroker.DeviceFiles device, Start how) throws Exception {
        try (TlsRecordRelay relay = TlsRecordRelay.to(port)) {
            Map<String, String> p = RunningBundle.properties("localhost:" + relay.port(), device,
                    dir.resolve("data"));
            p.put("aws.iot.client-id", DEVICE);
            p.put("uplink.batch.max-readings", "500");
            p.put("uplink.compress", "gzip");
            p.put("uplink.outbox.max-readings", "1000000");
            p.put("uplink.reconnect.max-delay", "1s");
            URI status = URI.create("http://127.0.0.1:" + p.get("camel.server.port") + "/status");
            try (BundleProcess bundle = how.start(dir, BundleProcess.environment(p))) {
                bundle.awaitOutput("MQTT connected", Duration.ofSeconds(120));
                relay.cut();
                Benchmark.postAll(Integer.parseInt(p.get("camel.server.port")),
                        "{\"temperature\": 21.3, \"humidity\": 60.0, \"seq\": 123}", DRAIN_READINGS, 4, 100);
                long restored = System.nanoTime();
                relay.restore();
                HttpClient http = HttpClient.newHttpClient();
                long deadline = restored + Duration.ofMinutes(5).toNanos();
                JsonNode now;
                do { // until the outbox is empty (status's published counts publishes: batches)
                    Thread.sleep(50);
                    now = RunningBundle.json(http.send(HttpRequest.newBuilder(status).build(),
                            HttpResponse.BodyHandlers.ofString()).body());
                } while ((now.get("buffered").asLong() > 0 || now.get("published").asLong() == 0)
                        && System.nanoTime() < deadline);
                double seconds = (System.nanoTime() - restored) / 1e9;
                if (now.get("buffered").asLong() > 0) {
                    throw new IllegalStateException(how.name() + " did not drain in 5 minutes: " + now);
                }
                System.out.printf("gateway: %s drained %,d readings in %,d publishes (gzip batches of 500, AWS's"
                        + " quotas) at %,.0f readings/s%n", how.name(), DRAIN_READINGS, now.get("published").asLong(),
                        DRAIN_READINGS / seconds);
                bundle.terminate();
                bundle.waitForExit(Duration.ofSeconds(60));
            }
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
