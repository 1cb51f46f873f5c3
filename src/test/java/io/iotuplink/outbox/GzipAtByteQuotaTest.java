package io.iotuplink.outbox;

import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.support.BatchPayloads;
import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.BusiestSecond;
import io.iotuplink.support.RunningBundle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With gzip, the byte quota counts the bytes sent: compressed batches fill it, and no second at the broker holds
 * more than it.
 */
class GzipAtByteQuotaTest {

    private static final int QUOTA_BYTES = 16 * 1024;

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(p -> {
        p.put("uplink.batch.max-readings", "200");
        p.put("uplink.batch.max-delay", "200ms");
        p.put("uplink.compress", "gzip");
        p.put("uplink.max-bytes-rate", String.valueOf(QUOTA_BYTES));
    });

    @Test
    void compressedBatchesFillTheByteQuotaAndNoSecondAtTheBrokerHoldsMore() {
        Random random = new Random(20);
        List<String> accepted = new ArrayList<>();
        for (int request = 0; request < 20; request++) {
            int base = request * 200;
            String array = IntStream.range(base, base + 200)
                    .mapToObj(i -> String.format(Locale.ROOT, "{\"temperature\": %.2f, \"humidity\": %.2f, \"seq\": %d}",
                            15 + 10 * random.nextDouble(), 40 + 30 * random.nextDouble(), i))
                    .collect(Collectors.joining(",", "[", "]"));
            var response = uplink.bundle().http("POST", "/telemetry", "application/json", array);
            assertEquals(202, response.statusCode(), response.body());
            RunningBundle.json(response.body()).get("message_ids").forEach(id -> accepted.add(id.asText()));
        }

        RunningBundle.await(() -> carried(batches()).size() >= 4_000, Duration.ofSeconds(60), "all 4,000 readings");
        List<ReceivedPublish> batches = batches();
        List<String> carried = carried(batches);
        assertEquals(4_000, carried.size(), "each reading exactly once");
        assertEquals(new HashSet<>(accepted), Set.copyOf(carried), "the ids the 202s answered");

        long busiest = BusiestSecond.of(batches).bytes();
        assertTrue(busiest <= QUOTA_BYTES, "no second at the broker holds more than the quota: " + busiest);
        double compressedPerPublish = batches.stream().mapToInt(p -> p.payload().length).average().orElseThrow();
        double plainPerPublish = batches.stream().mapToInt(p -> BatchPayloads.plain(p.payload()).length).average()
                .orElseThrow();
        // counting the uncompressed bytes would let fewer than two of these batches out a second (a third of this)
        assertTrue(busiest >= QUOTA_BYTES * 0.6, String.format("the compressed bytes fill the quota: %d bytes in the"
                + " busiest second, publishes of %.0f bytes (%.0f before gzip)", busiest, compressedPerPublish,
                plainPerPublish));
    }

    private static List<ReceivedPublish> batches() {
        return uplink.broker().received().stream().filter(p -> p.userProperties().containsKey("batch_size"))
                .toList();
    }

    private static List<String> carried(List<ReceivedPublish> publishes) {
        List<String> ids = new ArrayList<>();
        publishes.forEach(p -> BatchPayloads.unpack(p.payload()).forEach(r -> ids.add(r.messageId())));
        return ids;
    }
}
