package io.iotuplink.outbox;

import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.BatchPayloads;
import io.iotuplink.support.RunningBundle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Batching: readings share publishes, never over 128 KB, each reading exactly once with its own time and id. */
class BatchingTest {

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(p -> {
        p.put("uplink.batch.max-readings", "500");
        p.put("uplink.batch.max-delay", "500ms");
    });

    @Test
    void batchesStayUnder128KbAndCarryEveryReadingOnce() {
        String padding = "p".repeat(900);
        List<String> accepted = new ArrayList<>();
        for (int request = 0; request < 3; request++) {
            int base = request * 100;
            String array = IntStream.range(base, base + 100)
                    .mapToObj(i -> "{\"seq\": " + i + ", \"pad\": \"" + padding + "\"}")
                    .collect(Collectors.joining(",", "[", "]"));
            var response = uplink.bundle().http("POST", "/telemetry", "application/json", array);
            assertEquals(202, response.statusCode(), response.body());
            RunningBundle.json(response.body()).get("message_ids").forEach(id -> accepted.add(id.asText()));
        }

        RunningBundle.await(() -> carried(uplink.broker().received()).size() >= 300, Duration.ofSeconds(30),
                "all 300 readings");
        List<ReceivedPublish> batches = uplink.broker().received().stream()
                .filter(p -> p.userProperties().containsKey("batch_size")).toList();
        List<String> carried = carried(batches);
        assertEquals(300, carried.size(), "each reading exactly once");
        assertEquals(new HashSet<>(accepted), new HashSet<>(carried));
        assertTrue(batches.size() >= 3, "300 readings of ~1 KB need at least 3 publishes: " + batches.size());
        for (ReceivedPublish batch : batches) {
            assertTrue(batch.payload().length <= 128 * 1024, batch.payload().length + " bytes");
            List<BatchPayloads.Unpacked> readings = BatchPayloads.unpack(batch.payload());
            assertEquals(readings.size(), Integer.parseInt(batch.userProperties().get("batch_size")));
            BatchPayloads.Unpacked first = readings.get(0);
            assertTrue(first.acceptedAtMillis() > 1.7e12, String.valueOf(first.acceptedAtMillis()));
            assertEquals(padding, first.data().get("pad").asText());
        }
        assertEquals(1, accepted.stream().map(id -> id.substring(0, MessageIds.PREFIX_LENGTH)).distinct().count(),
                "one outbox, one id prefix: " + accepted.get(0));
        assertEquals(8, java.util.UUID.fromString(accepted.get(0)).version(), "a UUID of version 8");
    }

    private static List<String> carried(List<ReceivedPublish> publishes) {
        List<String> ids = new ArrayList<>();
        for (ReceivedPublish p : publishes) {
            if (p.userProperties().containsKey("batch_size")) {
                BatchPayloads.unpack(p.payload()).forEach(r -> ids.add(r.messageId()));
            }
        }
        return ids;
    }
}
