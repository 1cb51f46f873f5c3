package io.iotuplink.bench;

import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.support.BatchPayloads;
import io.iotuplink.support.BusiestSecond;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import io.iotuplink.support.TlsRecordRelay;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How fast a backlog of small readings drains through AWS IoT Core's default quotas (100 publishes/s, 512 KiB/s) with
 * batching: the readings are posted while the broker is out of reach (a relay cut), then the relay is restored and
 * every publish the broker receives is read back, reading by reading. Prints what a user would check: readings/s,
 * the busiest one-second window the broker saw (publishes and bytes), the share of payload bytes that is reading
 * data, and that every reading came exactly once by message_id.
 */
final class QuotaDrain {

    /** AWS IoT Core's per-connection byte quota. */
    static final long QUOTA_BYTES = 512 * 1024;

    /** What one drain showed. */
    record Figures(double readingsPerSecond, int publishes, double bytesPerPublish, int busiestPublishes,
            long busiestBytes, double dataShare, double bytesPerReading, int distinct, int duplicates) {
    }

    private QuotaDrain() {
    }

    /**
     * Drains {@code readings} copies of {@code payload} (posted 100 to a request by 4 devices) in batches of at most
     * {@code batch}, compressed with {@code compress} ({@code none} or {@code gzip}).
     */
    static Figures measure(TestBroker broker, Path dir, String payload, int readings, int batch, String compress)
            throws Exception {
        String clientId = "bombercat-quota-" + compress;
        TestBroker.DeviceFiles device = broker.device(clientId, TestBroker.KeyForm.PKCS1);
        try (TlsRecordRelay relay = TlsRecordRelay.to(broker.port())) {
            Map<String, String> p = RunningBundle.properties("localhost:" + relay.port(), device,
                    dir.resolve("quota-" + compress));
            p.put("aws.iot.client-id", clientId);
            p.put("uplink.batch.max-readings", String.valueOf(batch));
            p.put("uplink.compress", compress);
            p.put("uplink.outbox.max-readings", "10000000");
            p.put("uplink.outbox.max-bytes", String.valueOf(4L << 30));
            p.put("uplink.reconnect.max-delay", "1s");
            int from = broker.receivedCount();
            try (RunningBundle bundle = RunningBundle.start(p).awaitConnected()) {
                relay.cut();
                Benchmark.postAll(Integer.parseInt(p.get("camel.server.port")), payload, readings, 4, 100);
                relay.restore();
                List<ReceivedPublish> got = awaitAll(broker, from, clientId, readings);
                return figures(got, payload, readings);
            }
        }
    }

    private static List<ReceivedPublish> awaitAll(TestBroker broker, int from, String clientId, int readings)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (true) {
            List<ReceivedPublish> all = broker.received();
            List<ReceivedPublish> got = all.subList(from, all.size()).stream()
                    .filter(r -> r.clientId().equals(clientId) && r.topic().endsWith("/telemetry")).toList();
            int delivered = got.stream().mapToInt(r -> Integer.parseInt(
                    r.userProperties().getOrDefault("batch_size", "1"))).sum();
            if (delivered >= readings || System.nanoTime() > deadline) {
                return got;
            }
            Thread.sleep(50);
        }
    }

    private static Figures figures(List<ReceivedPublish> got, String payload, int readings) {
        long first = got.get(0).receivedAtNanos();
        long last = got.get(got.size() - 1).receivedAtNanos();
        int afterFirst = -1;
        long payloadBytes = 0;
        long plainBytes = 0;
        Set<String> ids = new HashSet<>();
        int carried = 0;
        for (ReceivedPublish publish : got) {
            List<BatchPayloads.Unpacked> unpacked = BatchPayloads.unpack(publish.payload());
            carried += unpacked.size();
            unpacked.forEach(r -> ids.add(r.messageId()));
            if (afterFirst < 0) {
                afterFirst = 0; // the readings that came after the first publish, in the time they took
            } else {
                afterFirst += unpacked.size();
            }
            payloadBytes += publish.payload().length;
            plainBytes += BatchPayloads.plain(publish.payload()).length;
        }
        double rate = afterFirst / ((last - first) / 1e9);
        BusiestSecond busiest = BusiestSecond.of(got);
        long dataBytes = (long) carried * compact(payload).length;
        if (carried != readings) {
            System.out.printf("quota drain: %d of %d readings arrived%n", carried, readings);
        }
        return new Figures(rate, got.size(), (double) payloadBytes / got.size(), busiest.publishes(), busiest.bytes(),
                (double) dataBytes / plainBytes, (double) payloadBytes / carried, ids.size(), carried - ids.size());
    }

    /** The reading's data as the bundle stores it: compact JSON. */
    static byte[] compact(String payload) {
        return BatchPayloads.json(payload.getBytes(StandardCharsets.UTF_8)).toString()
                .getBytes(StandardCharsets.UTF_8);
    }
}
