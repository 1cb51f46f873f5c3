package io.iotuplink.bench;

import io.iotuplink.config.MqttSession;
import io.iotuplink.mqtt.MqttOptions;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import io.iotuplink.tls.PemFiles;
import io.iotuplink.tls.PemTlsContext;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Prints figures, asserts nothing: raw Paho (synchronous and with 90 in flight) against the bundle's whole path
 * (HTTP in, outbox, envelope, mutual-TLS publish, PUBACK) on the same embedded broker in the same run, and the
 * bundle's resident memory after a steady load. Run it with {@code bench/run.sh}.
 */
public final class Benchmark {

    private static final String PAYLOAD = "{\"temperature\": 21.3, \"humidity\": 60.0, \"seq\": 123}";

    public static void main(String[] args) throws Exception {
        int messages = Integer.parseInt(System.getProperty("bench.messages", "5000"));
        int steadySeconds = Integer.parseInt(System.getProperty("bench.steady-seconds", "60"));
        Path dir = Files.createTempDirectory("iot-uplink-bench");
        try (TestBroker broker = TestBroker.start(dir.resolve("broker"))) {
            TestBroker.DeviceFiles device = broker.device("bombercat-bench", TestBroker.KeyForm.PKCS1);
            MqttConnectionOptions options = MqttOptions.connect(new MqttSession(Duration.ofSeconds(30), true,
                    Duration.ZERO, Duration.ofSeconds(10), Duration.ofSeconds(10)),
                    PemTlsContext.create(PemFiles.load(device.certificate(), device.key(), device.ca()))
                            .socketFactory());
            double sync = raw(broker, options, messages, 1);
            double pipelined = raw(broker, options, messages, 90);
            double bundle = bundle(broker, device, dir, messages, steadySeconds);
            int quotaReadings = Integer.parseInt(System.getProperty("bench.quota-readings", "40000"));
            int batch = Integer.parseInt(System.getProperty("bench.batch", "500"));
            double batched = atQuotas(broker, dir, quotaReadings, batch, "none");
            double gzipped = atQuotas(broker, dir, quotaReadings, batch, "gzip");
            System.out.printf("%n| path | readings/s |%n|---|---|%n| raw Paho, synchronous | %.0f |%n"
                    + "| raw Paho, 90 in flight | %.0f |%n| bundle (HTTP → outbox → PUBACK) | %.0f |%n"
                    + "| ratio bundle / pipelined Paho | %.2f |%n"
                    + "| bundle at AWS quotas (100 publishes/s, 512 KiB/s), batches of %d | %.0f |%n"
                    + "| the same, gzip | %.0f |%n", sync, pipelined, bundle, bundle / pipelined, batch, batched,
                    gzipped);
        }
    }

    private static double raw(TestBroker broker, MqttConnectionOptions options, int messages, int inFlight)
            throws Exception {
        MqttAsyncClient client = new MqttAsyncClient("ssl://localhost:" + broker.port(), "bench-raw-" + inFlight,
                new MemoryPersistence());
        IMqttToken connack = client.connect(options);
        connack.waitForCompletion(10_000);
        Integer receiveMaximum = connack.getResponseProperties() == null ? null
                : connack.getResponseProperties().getReceiveMaximum();
        if (receiveMaximum != null && receiveMaximum < inFlight) {
            // Paho refuses (32202) more in flight than the broker's receive maximum
            System.out.printf("raw: the broker's receive maximum is %d; %d in flight instead of %d%n",
                    receiveMaximum, receiveMaximum - 1, inFlight);
            inFlight = receiveMaximum - 1;
        }
        Deque<IMqttToken> window = new ArrayDeque<>();
        long start = System.nanoTime();
        for (int i = 0; i < messages; i++) {
            if (window.size() >= inFlight) {
                window.removeFirst().waitForCompletion(10_000);
            }
            MqttMessage message = new MqttMessage(PAYLOAD.getBytes());
            message.setQos(1);
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
        double rate = messages / ((System.nanoTime() - start) / 1e9);
        client.disconnect().waitForCompletion(5_000);
        client.close();
        return rate;
    }

    private static double bundle(TestBroker broker, TestBroker.DeviceFiles device, Path dir, int messages,
            int steadySeconds) throws Exception {
        Map<String, String> p = RunningBundle.properties(broker, device, dir.resolve("data"));
        p.put("aws.iot.client-id", "bombercat-bench");
        p.put("uplink.max-publish-rate", "0");
        p.put("uplink.max-bytes-rate", "0");
        long started = System.nanoTime();
        int before = broker.receivedCount();
        try (RunningBundle bundle = RunningBundle.start(p).awaitConnected()) {
            bundle.http("POST", "/telemetry", "application/json", PAYLOAD);
            awaitCount(broker, before + 1, Duration.ofSeconds(30));
            System.out.printf("bundle: start to first PUBACK %.2f s%n", (System.nanoTime() - started) / 1e9);

            String array = IntStream.range(0, 100).mapToObj(i -> PAYLOAD).collect(Collectors.joining(",", "[", "]"));
            int base = broker.receivedCount();
            long cpuStart = cpuNanos();
            Map<String, Long> threadsStart = threadCpu();
            long start = System.nanoTime();
            // several devices post at once, as the raw client keeps many publishes in flight
            int posters = Integer.getInteger("bench.posters", 4);
            long[] postNanos = new long[(messages + 99) / 100];
            java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(posters);
            for (int t = 0; t < posters; t++) {
                pool.execute(() -> {
                    for (int i; (i = next.getAndIncrement()) < postNanos.length; ) {
                        long posted = System.nanoTime();
                        bundle.http("POST", "/telemetry", "application/json", array);
                        postNanos[i] = System.nanoTime() - posted;
                    }
                });
            }
            pool.shutdown();
            pool.awaitTermination(10, java.util.concurrent.TimeUnit.MINUTES);
            java.util.Arrays.sort(postNanos);
            System.out.printf("bundle: POST of 100 readings p50 %.2f ms, p99 %.2f ms%n",
                    postNanos[postNanos.length / 2] / 1e6, postNanos[postNanos.length * 99 / 100] / 1e6);
            System.out.printf("bundle: HTTP intake (100 readings per POST, %d clients at once) %.0f readings/s%n",
                    posters, messages / ((System.nanoTime() - start) / 1e9));
            awaitCount(broker, base + messages, Duration.ofMinutes(10));
            System.out.printf("bundle: CPU busy %.0f%% of %d cores (broker, clients and bundle)%n",
                    100.0 * (cpuNanos() - cpuStart) / (System.nanoTime() - start)
                            / Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().availableProcessors());
            double rate = messages / ((System.nanoTime() - start) / 1e9);
            if (System.getProperty("bench.threads") != null) {
                Map<String, Long> used = new java.util.HashMap<>();
                threadCpu().forEach((name, nanos) -> used.put(name, nanos - threadsStart.getOrDefault(name, 0L)));
                used.entrySet().stream().filter(e -> e.getValue() >= 10_000_000L)
                        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                        .forEach(e -> System.out.printf("bundle: CPU %6.0f ms in %s%n", e.getValue() / 1e6,
                                e.getKey()));
                long accounted = used.values().stream().mapToLong(Long::longValue).sum();
                System.out.printf("bundle: CPU %6.0f ms in the JVM's own threads (GC, JIT) and the HTTP clients%n",
                        (cpuNanos() - cpuStart - accounted) / 1e6);
            }
            String metrics = bundle.http("GET", "/observe/metrics", null, null).body();
            metrics.lines().filter(l -> l.startsWith("uplink_puback_seconds{quantile")
                    || System.getProperty("bench.route-metrics") != null && l.contains("routeId=\"uplink-")
                    && (l.contains("_sum") || l.contains("_count")))
                    .forEach(l -> System.out.println("bundle: " + l));

            long end = System.nanoTime() + steadySeconds * 1_000_000_000L;
            String ten = IntStream.range(0, 10).mapToObj(i -> PAYLOAD).collect(Collectors.joining(",", "[", "]"));
            while (System.nanoTime() < end) {
                long tick = System.nanoTime();
                bundle.http("POST", "/telemetry", "application/json", ten);
                long sleep = 10_000_000L - (System.nanoTime() - tick);
                if (sleep > 0) {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                }
            }
            System.out.printf("bundle: resident memory of this JVM (broker and bundle) after %d s at 1,000"
                    + " readings/s: %s%n", steadySeconds, residentMemory());
            return rate;
        }
    }

    /**
     * Readings/s through AWS's default quotas (shaping on) with batching, from a backlog that four HTTP clients fill
     * faster than the quotas let out; prints the busiest one-second window the broker saw.
     */
    private static double atQuotas(TestBroker broker, Path dir, int readings, int batch, String compress)
            throws Exception {
        TestBroker.DeviceFiles device = broker.device("bombercat-quota-" + compress, TestBroker.KeyForm.PKCS1);
        Map<String, String> p = RunningBundle.properties(broker, device, dir.resolve("quota-" + compress));
        p.put("aws.iot.client-id", "bombercat-quota-" + compress);
        p.put("uplink.batch.max-readings", String.valueOf(batch));
        p.put("uplink.compress", compress);
        int from = broker.receivedCount();
        try (RunningBundle bundle = RunningBundle.start(p).awaitConnected()) {
            String array = IntStream.range(0, 100).mapToObj(i -> PAYLOAD).collect(Collectors.joining(",", "[", "]"));
            long start = System.nanoTime();
            java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
            for (int t = 0; t < 4; t++) {
                pool.execute(() -> {
                    while (next.getAndIncrement() < readings / 100) {
                        bundle.http("POST", "/telemetry", "application/json", array);
                    }
                });
            }
            pool.shutdown();
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            java.util.List<io.iotuplink.local.ReceivedPublish> got;
            while (true) {
                got = broker.received().subList(from, broker.receivedCount()).stream()
                        .filter(r -> r.clientId().equals("bombercat-quota-" + compress)).toList();
                int delivered = got.stream().mapToInt(r -> Integer.parseInt(
                        r.userProperties().getOrDefault("batch_size", "1"))).sum();
                if (delivered >= readings || System.nanoTime() > deadline) {
                    break;
                }
                Thread.sleep(20);
            }
            double rate = readings / ((got.get(got.size() - 1).receivedAtNanos() - start) / 1e9);
            int publishes = 0;
            long bytes = 0;
            for (int i = 0, j = 0; i < got.size(); i++) {
                while (got.get(i).receivedAtNanos() - got.get(j).receivedAtNanos() >= 1_000_000_000L) {
                    j++;
                }
                publishes = Math.max(publishes, i - j + 1);
                long window = 0;
                for (int k = j; k <= i; k++) {
                    window += got.get(k).payload().length;
                }
                bytes = Math.max(bytes, window);
            }
            System.out.printf("quota (%s, batches of %d): %.0f readings/s in %d publishes of %.0f bytes on average;"
                    + " busiest second: %d publishes, %d KiB%n", compress, batch, rate, got.size(),
                    got.stream().mapToInt(r -> r.payload().length).average().orElse(0), publishes, bytes / 1024);
            return rate;
        }
    }

    private static void awaitCount(TestBroker broker, int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (broker.receivedCount() < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the broker got " + broker.receivedCount() + " of " + count);
            }
            Thread.sleep(1);
        }
    }

    /** CPU time per group of threads (names without their numbers). */
    private static Map<String, Long> threadCpu() {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        Map<String, Long> cpu = new java.util.HashMap<>();
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null) {
                long nanos = threads.getThreadCpuTime(info.getThreadId());
                cpu.merge(info.getThreadName().replaceAll("\\d+", "N"), Math.max(0, nanos), Long::sum);
            }
        }
        return cpu;
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static String residentMemory() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return line.substring(6).trim();
            }
        }
        return "unknown";
    }
}
