package io.iotuplink.bench;

import io.iotuplink.config.MqttSession;
import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.mqtt.MqttOptions;
import io.iotuplink.mqtt.MqttPublishProperties;
import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.Mosquitto;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import io.iotuplink.tls.PemFiles;
import io.iotuplink.tls.PemTlsContext;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Prints figures, asserts nothing. On each broker (Mosquitto, a process of its own as AWS IoT Core is, then the
 * embedded broker in this JVM) it warms up a raw pipelined Paho client in this JVM (on the JDK's TLS socket) and the
 * bundle's whole path (HTTP in, outbox, envelope, mutual-TLS publish, PUBACK) in a JVM of its own, as a user runs it,
 * side by side, then measures them in alternating rounds and gives the median of each and of their ratios. Then, on
 * Mosquitto, the time from starting the bundle to its first PUBACK and its resident memory after a steady 1,000
 * readings/s; and readings/s at AWS's quotas with batching. Run it with {@code bench/run.sh}.
 */
public final class Benchmark {

    private static final String PAYLOAD = "{\"temperature\": 21.3, \"humidity\": 60.0, \"seq\": 123}";
    private static final String DEVICE = "bombercat-bench";
    /** An envelope of the size the bundle publishes for {@link #PAYLOAD}. */
    private static final byte[] ENVELOPE = ("{\"timestamp\":1732270000.123,\"device_id\":\"" + DEVICE
            + "\",\"data\":" + PAYLOAD.replace(" ", "") + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    private static final int RAW_IN_FLIGHT = 90;
    /** HotSpot's C1 and C2 compiler threads, as {@link ProcStats#threadCpu} names them. */
    private static final String COMPILER_THREADS = "CN CompilerThre";

    /** A broker to measure against: where it listens, a device certificate it accepts, its process (0: this JVM). */
    private record Target(String name, int port, TestBroker.DeviceFiles device, long brokerPid) {
    }

    /** The medians of one broker's rounds. */
    private record PathFigures(double sync, double pipelined, double bundle, double ratio, double pipelinedAlike,
            double ratioAlike, double singles) {
    }

    public static void main(String[] args) throws Exception {
        int messages = Integer.parseInt(System.getProperty("bench.messages", "50000"));
        int steadySeconds = Integer.parseInt(System.getProperty("bench.steady-seconds", "60"));
        Path dir = Files.createTempDirectory("iot-uplink-bench");
        if ("quotas".equals(System.getProperty("bench.only"))) {
            printQuotaTable(atQuotas(dir));
            return;
        }
        if ("store".equals(System.getProperty("bench.only"))) {
            StoreFigures.run(dir);
            return;
        }
        if ("gateway".equals(System.getProperty("bench.only"))) {
            GatewayFigures.run(dir, steadySeconds);
            return;
        }
        PathFigures onMosquitto;
        try (Mosquitto mosquitto = Mosquitto.start(dir.resolve("mosquitto"),
                List.of("user " + DEVICE, "topic readwrite bombercat/#"),
                // AWS IoT Core's receive maximum (Mosquitto's default is 20)
                List.of("max_inflight_messages 100"))) {
            Target target = new Target("mosquitto", mosquitto.port(), mosquitto.device(DEVICE), mosquitto.pid());
            onMosquitto = path(target, dir.resolve("mosquitto-bundle"), messages);
            ownJvm(target, dir.resolve("own-jvm"), steadySeconds);
        }
        if (Boolean.getBoolean("bench.mosquitto-only")) {
            return; // profiling the path on Mosquitto alone
        }
        PathFigures embedded;
        try (TestBroker broker = TestBroker.start(dir.resolve("broker"))) {
            embedded = path(new Target("embedded", broker.port(), broker.device(DEVICE, TestBroker.KeyForm.PKCS1), 0),
                    dir.resolve("embedded-bundle"), messages);
        }
        QuotaDrain.Figures[] quotas = atQuotas(dir);
        System.out.printf("%n| readings/s (median of the rounds) | Mosquitto (own process) | embedded HiveMQ"
                + " (this JVM) |%n|---|---|---|%n"
                + "| raw Paho, synchronous | %.0f | %.0f |%n"
                + "| raw Paho, %d in flight | %.0f | %.0f |%n"
                + "| bundle (HTTP → outbox → PUBACK) | %.0f | %.0f |%n"
                + "| ratio bundle / pipelined Paho | %.2f | %.2f |%n"
                + "| raw Paho, %d in flight, the bundle's publishes | %.0f | %.0f |%n"
                + "| ratio bundle / pipelined Paho with the same publishes | %.2f | %.2f |%n"
                + "| bundle, one reading per POST from %d devices | %.0f | %.0f |%n",
                onMosquitto.sync(), embedded.sync(), RAW_IN_FLIGHT, onMosquitto.pipelined(),
                embedded.pipelined(), onMosquitto.bundle(), embedded.bundle(), onMosquitto.ratio(),
                embedded.ratio(), RAW_IN_FLIGHT, onMosquitto.pipelinedAlike(), embedded.pipelinedAlike(),
                onMosquitto.ratioAlike(), embedded.ratioAlike(), Integer.getInteger("bench.devices", 32),
                onMosquitto.singles(), embedded.singles());
        printQuotaTable(quotas);
    }

    /** The quota figures as the README's table has them. */
    private static void printQuotaTable(QuotaDrain.Figures[] quotas) {
        System.out.printf("%n| draining a backlog at AWS quotas (100 publishes/s, 512 KiB/s), batches of %s |"
                + " readings/s | bytes a reading | reading data | busiest second at the broker |%n|---|---|---|---|---|%n"
                + "| plain | %.0f | %.1f | %.0f %% | %d publishes, %d KiB |%n"
                + "| gzip | %.0f | %.1f | | %d publishes, %d KiB |%n"
                + "| ceiling: nothing but reading data, plain | %.0f | %d | 100 %% | |%n",
                System.getProperty("bench.batch", "500"), quotas[0].readingsPerSecond(), quotas[0].bytesPerReading(),
                100 * quotas[0].dataShare(), quotas[0].busiestPublishes(), quotas[0].busiestBytes() / 1024,
                quotas[1].readingsPerSecond(), quotas[1].bytesPerReading(), quotas[1].busiestPublishes(),
                quotas[1].busiestBytes() / 1024,
                (double) QuotaDrain.QUOTA_BYTES / QuotaDrain.compact(PAYLOAD).length,
                QuotaDrain.compact(PAYLOAD).length);
    }

    /**
     * Raw Paho synchronous; then raw Paho pipelined and the bundle, warmed up together for at least
     * {@code bench.warmup-seconds} and until the bundle's JIT compilers have all but finished (they keep a core busy
     * for minutes on a path this size, and a measurement in that time measures them), measured in
     * {@code bench.rounds} alternating rounds.
     */
    private static PathFigures path(Target target, Path dataDir, int messages) throws Exception {
        // raw Paho as anyone runs it: on the JDK's own TLS socket, not the bundle's (which coalesces writes)
        MqttConnectionOptions options = MqttOptions.connect(new MqttSession(Duration.ofSeconds(30), true,
                Duration.ZERO, Duration.ofSeconds(10), Duration.ofSeconds(10)),
                PemTlsContext.create(PemFiles.load(target.device().certificate(), target.device().key(),
                        target.device().ca())).jdkSocketFactory());
        MqttAsyncClient raw = new MqttAsyncClient("ssl://localhost:" + target.port(), DEVICE + "-raw",
                new MemoryPersistence());
        int inFlight = inFlight(raw.connect(options));
        long warmUpStart = System.nanoTime();
        long warmUpEnd = warmUpStart + Integer.getInteger("bench.warmup-seconds", 60) * 1_000_000_000L;
        publishRaw(raw, messages / 10, 1, false);
        double sync = timed(messages / 10, () -> publishRaw(raw, messages / 10, 1, false));
        System.out.printf("%s: raw Paho, synchronous: %.0f readings/s%n", target.name(), sync);

        Map<String, String> p = RunningBundle.properties("localhost:" + target.port(), target.device(), dataDir);
        p.put("aws.iot.client-id", DEVICE);
        p.put("uplink.max-publish-rate", "0");
        p.put("uplink.max-bytes-rate", "0");
        // the HTTP clients may run ahead of the publishing by more than the default outbox bound
        p.put("uplink.outbox.max-readings", "10000000");
        p.put("uplink.outbox.max-bytes", "4GB");
        // -Dbench.set.uplink.max-inflight=50 and the like: a bundle property of one's own
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("bench.set."))
                .forEach(k -> p.put(k.substring("bench.set.".length()), System.getProperty(k)));
        int httpPort = Integer.parseInt(p.get("camel.server.port"));
        try (BundleJvm bundle = BundleJvm.start(dataDir.resolveSibling(dataDir.getFileName() + "-jvm"), p)
                .awaitConnected(Duration.ofSeconds(60))) {
            LongSupplier published = bundle::published;
            int posters = Integer.getInteger("bench.posters", 4);
            Pass rawPass = () -> publishRaw(raw, messages, inFlight, false);
            Pass rawAlikePass = () -> publishRaw(raw, messages, inFlight, true);
            Pass bundlePass = () -> {
                long base = published.getAsLong();
                long start = System.nanoTime();
                long[] postNanos = postAll(httpPort, messages, posters, 100);
                long posted = System.nanoTime();
                long publishedMeanwhile = published.getAsLong() - base;
                awaitCount(published, base + messages, Duration.ofMinutes(10));
                long end = System.nanoTime();
                if (System.getProperty("bench.threads") != null) {
                    System.out.printf("%s: bundle: posted in %.2f s (%.0f readings/s), %d published meanwhile"
                            + " (%.0f/s); the rest published in %.2f s (%.0f/s)%n", target.name(), (posted - start)
                            / 1e9, messages / ((posted - start) / 1e9), publishedMeanwhile, publishedMeanwhile
                            / ((posted - start) / 1e9), (end - posted) / 1e9, (messages - publishedMeanwhile)
                            / ((end - posted) / 1e9));
                }
                return postNanos;
            };
            // at least bench.warmup-seconds, and until the bundle's JIT compilers take under 3 % of its CPU (on two
            // shared cores HotSpot takes minutes over a path this size), 5 minutes at most
            double jitShare;
            do {
                rawPass.run();
                rawAlikePass.run();
                long cpu = ProcStats.cpuNanos(bundle.pid());
                long jit = ProcStats.threadCpu(bundle.pid()).getOrDefault(COMPILER_THREADS, 0L);
                bundlePass.run();
                jitShare = (ProcStats.threadCpu(bundle.pid()).getOrDefault(COMPILER_THREADS, 0L) - jit)
                        / (double) Math.max(1, ProcStats.cpuNanos(bundle.pid()) - cpu);
            } while (System.nanoTime() < warmUpEnd
                    || jitShare > 0.03 && System.nanoTime() - warmUpStart < 300_000_000_000L);
            System.out.printf("%s: warmed up for %.0f s; the bundle's JIT compilers took %.0f%% of its CPU in the"
                    + " last pass%n", target.name(), (System.nanoTime() - warmUpStart) / 1e9, 100 * jitShare);

            int rounds = Integer.getInteger("bench.rounds", 5);
            double[] rawRates = new double[rounds];
            double[] bundleRates = new double[rounds];
            double[] ratios = new double[rounds];
            double[] rawAlikeRates = new double[rounds];
            double[] ratiosAlike = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                boolean last = r == rounds - 1;
                long rawCpu = cpuNanos();
                long brokerCpu = brokerCpu(target);
                Map<String, Long> rawThreads = ProcStats.threadCpu(ProcessHandle.current().pid());
                rawRates[r] = timed(messages, rawPass);
                if (last) {
                    System.out.printf("%s: raw Paho: CPU of this JVM %.1f µs a message%s%n", target.name(),
                            (cpuNanos() - rawCpu) / 1e3 / messages, brokerShare(target, brokerCpu, messages));
                    threadBreakdown(target.name() + ": raw Paho", ProcessHandle.current().pid(), rawThreads,
                            cpuNanos() - rawCpu, messages, "message");
                }
                rawAlikeRates[r] = timed(messages, rawAlikePass);
                bundleRates[r] = last ? profiled(target, bundle.pid(), messages, bundlePass)
                        : timed(messages, bundlePass);
                ratios[r] = bundleRates[r] / rawRates[r];
                ratiosAlike[r] = bundleRates[r] / rawAlikeRates[r];
                System.out.printf("%s: round %d: raw Paho, %d in flight %.0f readings/s; the same with the bundle's"
                        + " publishes %.0f readings/s; bundle %.0f readings/s; ratio %.2f (%.2f against the same"
                        + " publishes)%n", target.name(), r + 1, inFlight, rawRates[r], rawAlikeRates[r],
                        bundleRates[r], ratios[r], ratiosAlike[r]);
            }
            int singles = Integer.getInteger("bench.singles", messages / 2);
            // 0: not measured (profiling the path above alone)
            double singlesRate = singles == 0 ? 0 : singles(target, bundle, httpPort, singles);
            String metrics = bundle.metrics();
            metrics.lines().filter(l -> l.startsWith("uplink_puback_seconds{quantile"))
                    .forEach(l -> System.out.println(target.name() + ": bundle: " + l));
            raw.disconnect().waitForCompletion(5_000);
            raw.close();
            return new PathFigures(sync, median(rawRates), median(bundleRates), median(ratios), median(rawAlikeRates),
                    median(ratiosAlike), singlesRate);
        }
    }

    /**
     * Many devices posting one reading each, each POST waiting for its reading to be on disk: {@code singles}
     * readings to warm this path up, then as many measured; readings/s.
     */
    private static double singles(Target target, BundleJvm bundle, int httpPort, int singles) throws Exception {
        int devices = Integer.getInteger("bench.devices", 32);
        LongSupplier published = bundle::published;
        long warm = published.getAsLong();
        postAll(httpPort, singles, devices, 1);
        awaitCount(published, warm + singles, Duration.ofMinutes(10));
        long start = System.nanoTime();
        long cpu = ProcStats.cpuNanos(bundle.pid());
        long base = published.getAsLong();
        long[] postNanos = postAll(httpPort, singles, devices, 1);
        awaitCount(published, base + singles, Duration.ofMinutes(10));
        long elapsed = System.nanoTime() - start;
        long used = ProcStats.cpuNanos(bundle.pid()) - cpu;
        double rate = singles / (elapsed / 1e9);
        System.out.printf("%s: bundle, one reading per POST from %d devices at once: %.0f readings/s; POST p50"
                + " %.2f ms, p99 %.2f ms; the bundle's JVM busy %.0f%% of the cores, %.0f µs a reading%n",
                target.name(), devices, rate, postNanos[postNanos.length / 2] / 1e6,
                postNanos[postNanos.length * 99 / 100] / 1e6,
                100.0 * used / elapsed / Runtime.getRuntime().availableProcessors(), used / 1e3 / singles);
        return rate;
    }

    /** A measured piece of work; it may return each request's time. */
    private interface Pass {
        long[] run() throws Exception;
    }

    /** Readings/s of one pass of {@code readings}. */
    private static double timed(int readings, Pass pass) throws Exception {
        long start = System.nanoTime();
        pass.run();
        return readings / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * The same, printing where the CPU went: the load of the bundle's JVM and of this one (the devices, and the
     * broker when it is the embedded one), and with {@code bench.threads} each thread group of the bundle's JVM.
     */
    private static double profiled(Target target, long bundlePid, int readings, Pass pass) throws Exception {
        long cpuStart = cpuNanos();
        long brokerCpu = brokerCpu(target);
        long bundleCpuStart = ProcStats.cpuNanos(bundlePid);
        Map<String, Long> threadsStart = ProcStats.threadCpu(bundlePid);
        long start = System.nanoTime();
        long[] postNanos = pass.run();
        long elapsed = System.nanoTime() - start;
        long bundleCpu = ProcStats.cpuNanos(bundlePid) - bundleCpuStart;
        Arrays.sort(postNanos);
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf("%s: bundle: POST of 100 readings p50 %.2f ms, p99 %.2f ms; the bundle's JVM busy %.0f%% of"
                + " %d cores, %.1f µs a reading; the benchmark's JVM (the devices%s) %.0f%%%s%n", target.name(),
                postNanos[postNanos.length / 2] / 1e6, postNanos[postNanos.length * 99 / 100] / 1e6,
                100.0 * bundleCpu / elapsed / cores, cores, bundleCpu / 1e3 / readings,
                target.brokerPid() == 0 ? ", the broker" : "", 100.0 * (cpuNanos() - cpuStart) / elapsed / cores,
                brokerShare(target, brokerCpu, readings));
        threadBreakdown(target.name() + ": bundle", bundlePid, threadsStart, bundleCpu, readings, "reading");
        return readings / (elapsed / 1e9);
    }

    /** With {@code bench.threads}: the CPU each thread group of process {@code pid} used since {@code before}. */
    private static void threadBreakdown(String label, long pid, Map<String, Long> before, long processCpu, int count,
            String unit) {
        if (System.getProperty("bench.threads") == null) {
            return;
        }
        Map<String, Long> used = new HashMap<>();
        ProcStats.threadCpu(pid).forEach((name, nanos) -> used.put(name, nanos - before.getOrDefault(name, 0L)));
        used.entrySet().stream().filter(e -> e.getValue() >= 10_000_000L)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> System.out.printf("%s: CPU %5.1f µs a %s in %s%n", label, e.getValue() / 1e3 / count,
                        unit, e.getKey()));
        long accounted = used.values().stream().mapToLong(Long::longValue).sum();
        System.out.printf("%s: %.1f µs a %s in threads that ended meanwhile%n", label,
                (processCpu - accounted) / 1e3 / count, unit);
    }

    private static long brokerCpu(Target target) {
        return target.brokerPid() == 0 ? 0 : ProcStats.cpuNanos(target.brokerPid());
    }

    /** What the broker's own process spent a message since {@code cpuBefore}. */
    private static String brokerShare(Target target, long cpuBefore, int messages) {
        return target.brokerPid() == 0 ? "" : String.format("; %s %.1f µs a message", target.name(),
                (ProcStats.cpuNanos(target.brokerPid()) - cpuBefore) / 1e3 / messages);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** {@value #RAW_IN_FLIGHT}, or one less than the receive maximum in CONNACK (Paho refuses more: 32202). */
    private static int inFlight(IMqttToken connect) throws Exception {
        connect.waitForCompletion(10_000);
        Integer receiveMaximum = connect.getResponseProperties() == null ? null
                : connect.getResponseProperties().getReceiveMaximum();
        return receiveMaximum == null ? RAW_IN_FLIGHT : Math.min(RAW_IN_FLIGHT, receiveMaximum - 1);
    }

    /**
     * Publishes {@code messages} at QoS 1 with up to {@code inFlight} awaiting their PUBACK: the bare reading, or
     * ({@code alike}) what the bundle publishes for it, an envelope of the same size with the bundle's MQTT 5
     * properties (content type, payload format indicator, a new {@code message_id} each).
     */
    private static long[] publishRaw(MqttAsyncClient client, int messages, int inFlight, boolean alike)
            throws Exception {
        Deque<IMqttToken> window = new ArrayDeque<>();
        for (int i = 0; i < messages; i++) {
            if (window.size() >= inFlight) {
                window.removeFirst().waitForCompletion(10_000);
            }
            MqttMessage message = new MqttMessage(alike ? ENVELOPE : PAYLOAD.getBytes());
            message.setQos(1);
            if (alike) {
                message.setProperties(MqttPublishProperties.forReading(UUID.randomUUID().toString()));
            }
            while (true) {
                try {
                    window.addLast(client.publish("bombercat/telemetry", message));
                    break;
                } catch (org.eclipse.paho.mqttv5.common.MqttException e) {
                    if (e.getReasonCode() != 32202) {
                        throw e;
                    }
                    // Paho counts a slot free a moment after the token completes: back off briefly
                    if (!window.isEmpty()) {
                        window.removeFirst().waitForCompletion(10_000);
                    }
                    Thread.sleep(1);
                }
            }
        }
        while (!window.isEmpty()) {
            window.removeFirst().waitForCompletion(10_000);
        }
        return new long[0];
    }

    /**
     * The bundle as a user runs it (a JVM of its own, default JVM settings, the broker outside it): the time from
     * starting the process to the first PUBACK, then the resident memory after {@code seconds} at 1,000 readings/s
     * (10 readings every 10 ms).
     */
    private static void ownJvm(Target target, Path dir, int seconds) throws Exception {
        Map<String, String> p = RunningBundle.properties("localhost:" + target.port(), target.device(),
                dir.resolve("data"));
        p.put("aws.iot.client-id", DEVICE);
        URI base = URI.create("http://127.0.0.1:" + p.get("camel.server.port"));
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest one = post(base, PAYLOAD);
        HttpRequest ten = post(base, IntStream.range(0, 10).mapToObj(i -> PAYLOAD)
                .collect(Collectors.joining(",", "[", "]")));
        HttpRequest status = HttpRequest.newBuilder(base.resolve("/status")).build();
        long started = System.nanoTime();
        try (BundleProcess bundle = BundleProcess.start(dir, BundleProcess.environment(p))) {
            long deadline = started + 60_000_000_000L;
            boolean accepted = false;
            while (true) {
                try {
                    accepted = accepted || http.send(one, HttpResponse.BodyHandlers.discarding()).statusCode() == 202;
                    if (accepted && RunningBundle.json(http.send(status, HttpResponse.BodyHandlers.ofString())
                            .body()).get("published").asLong() > 0) {
                        break;
                    }
                } catch (java.io.IOException notListeningYet) {
                    // the HTTP server is not up yet
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no PUBACK within 60 s of the start:\n" + bundle.output());
                }
                Thread.sleep(5);
            }
            System.out.printf("%s: bundle in a JVM of its own: start to first PUBACK %.2f s%n", target.name(),
                    (System.nanoTime() - started) / 1e9);
            long cpuBefore = ProcStats.cpuNanos(bundle.pid());
            long steadyStart = System.nanoTime();
            long end = steadyStart + seconds * 1_000_000_000L;
            int posted = 0;
            while (System.nanoTime() < end) {
                long tick = System.nanoTime();
                if (http.send(ten, HttpResponse.BodyHandlers.discarding()).statusCode() == 202) {
                    posted += 10;
                }
                long sleep = 10_000_000L - (System.nanoTime() - tick);
                if (sleep > 0) {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                }
            }
            if (seconds > 0) {
                System.out.printf("%s: bundle in a JVM of its own: resident memory %s after %d s at 1,000"
                        + " readings/s (%d accepted), CPU %.1f %% of one core meanwhile%n", target.name(),
                        ProcStats.residentMemory(bundle.pid()), seconds, posted, 100.0 * (ProcStats.cpuNanos(bundle.pid())
                                - cpuBefore) / (System.nanoTime() - steadyStart));
            }
            bundle.terminate();
            bundle.waitForExit(Duration.ofSeconds(30));
        }
    }

    private static HttpRequest post(URI base, String json) {
        return HttpRequest.newBuilder(base.resolve("/telemetry")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
    }

    /** Drains a backlog through AWS's default quotas, plain then gzip, and prints the figures of each. */
    private static QuotaDrain.Figures[] atQuotas(Path dir) throws Exception {
        // a broker of its own: the ones before hold a record of every publish they got
        try (TestBroker broker = TestBroker.start(dir.resolve("quota-broker"))) {
            int readings = Integer.parseInt(System.getProperty("bench.quota-readings", "200000"));
            int batch = Integer.parseInt(System.getProperty("bench.batch", "500"));
            QuotaDrain.Figures[] figures = new QuotaDrain.Figures[2];
            String[] compress = {"none", "gzip"};
            for (int i = 0; i < 2; i++) {
                figures[i] = QuotaDrain.measure(broker, dir, PAYLOAD, readings, batch, compress[i]);
                QuotaDrain.Figures f = figures[i];
                System.out.printf("quota (%s, batches of %d): %.0f readings/s draining %d readings in %d publishes"
                        + " of %.0f bytes on average (%.1f bytes a reading; reading data %.1f %% of the JSON); busiest"
                        + " second at the broker: %d publishes, %d bytes (%s 512 KiB); %d distinct message_ids,"
                        + " %d duplicates%n", compress[i], batch, f.readingsPerSecond(), readings, f.publishes(),
                        f.bytesPerPublish(), f.bytesPerReading(), 100 * f.dataShare(), f.busiestPublishes(),
                        f.busiestBytes(), f.busiestBytes() <= QuotaDrain.QUOTA_BYTES ? "within" : "OVER",
                        f.distinct(), f.duplicates());
            }
            System.out.printf("quota ceiling: a bare client sending nothing but this reading's %d bytes of data would"
                    + " carry %.0f readings/s within 512 KiB/s%n", QuotaDrain.compact(PAYLOAD).length,
                    (double) QuotaDrain.QUOTA_BYTES / QuotaDrain.compact(PAYLOAD).length);
            return figures;
        }
    }

    /**
     * Posts {@code readings} to {@code /telemetry}, {@code perRequest} per request, from {@code posters} devices at
     * once (as the raw client keeps many publishes in flight), each on a kept-alive connection; returns each
     * request's time, sorted.
     */
    private static long[] postAll(int port, int readings, int posters, int perRequest) throws InterruptedException {
        return postAll(port, PAYLOAD, readings, posters, perRequest);
    }

    /** Posts {@code readings} copies of {@code payload} like {@link #postAll(int, int, int, int)}. */
    static long[] postAll(int port, String payload, int readings, int posters, int perRequest)
            throws InterruptedException {
        String array = perRequest == 1 ? payload
                : IntStream.range(0, perRequest).mapToObj(i -> payload).collect(Collectors.joining(",", "[", "]"));
        long[] postNanos = new long[(readings + perRequest - 1) / perRequest];
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(posters);
        for (int t = 0; t < posters; t++) {
            pool.execute(() -> {
                try (KeepAlivePoster poster = new KeepAlivePoster(port, "/telemetry", array)) {
                    for (int i; (i = next.getAndIncrement()) < postNanos.length; ) {
                        long posted = System.nanoTime();
                        int status = poster.post();
                        if (status != 202) {
                            throw new IllegalStateException("POST /telemetry answered " + status);
                        }
                        postNanos[i] = System.nanoTime() - posted;
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(10, TimeUnit.MINUTES);
        Arrays.sort(postNanos);
        return postNanos;
    }

    private static void awaitCount(LongSupplier published, long count, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (published.getAsLong() < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the bundle published " + published.getAsLong() + " of " + count);
            }
            Thread.sleep(10);
        }
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
