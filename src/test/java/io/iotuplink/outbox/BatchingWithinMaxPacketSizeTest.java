package io.iotuplink.outbox;

import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.BatchPayloads;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Batches are cut below the maximum packet size the broker's CONNACK announced, not only below 128 KB. */
class BatchingWithinMaxPacketSizeTest {

    private static final int MAX_PACKET_SIZE = 4096;

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(
            dir -> TestBroker.startWithMaxPacketSize(dir, MAX_PACKET_SIZE), p -> {
                p.put("uplink.batch.max-readings", "500");
                p.put("uplink.batch.max-delay", "500ms");
            });

    @Test
    void batchesStayWithinTheBrokersMaximumPacketSizeAndCarryEveryReadingOnce() {
        String padding = "p".repeat(200);
        String array = IntStream.range(0, 60).mapToObj(i -> "{\"seq\": " + i + ", \"pad\": \"" + padding + "\"}")
                .collect(Collectors.joining(",", "[", "]"));
        var response = uplink.bundle().http("POST", "/telemetry", "application/json", array);
        assertEquals(202, response.statusCode(), response.body());
        List<String> accepted = new ArrayList<>();
        RunningBundle.json(response.body()).get("message_ids").forEach(id -> accepted.add(id.asText()));

        RunningBundle.await(() -> carried(uplink.broker().received()).size() >= 60, Duration.ofSeconds(30),
                "all 60 readings (15 KB) in batches");
        List<ReceivedPublish> batches = uplink.broker().received().stream()
                .filter(p -> p.userProperties().containsKey("batch_size")).toList();
        assertEquals(new HashSet<>(accepted), new HashSet<>(carried(batches)));
        assertEquals(60, carried(batches).size(), "each reading exactly once");
        assertTrue(batches.size() >= 4, "15 KB in packets of at most 4 KB: " + batches.size() + " batches");
        for (ReceivedPublish batch : batches) {
            assertTrue(batch.payload().length < MAX_PACKET_SIZE, batch.payload().length + " bytes");
            assertTrue(Integer.parseInt(batch.userProperties().get("batch_size")) > 1, "still batched");
        }
        assertEquals(0, uplink.bundle().status().get("failed").asInt());
        assertTrue(Files.notExists(uplink.dataDir().resolve("dead-letter")), "no dead letter");
        assertEquals(1, uplink.broker().connects().size(), "the broker never dropped the connection");
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
