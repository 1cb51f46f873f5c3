package io.iotuplink.outbox;

import io.iotuplink.local.BrokerPolicy;
import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Live data first under batches: with a backlog of 128 KB batches of 500 readings draining at AWS's quotas, an event
 * is published within 1 s; after the broker said three times that the quota was exceeded (PUBACK 0x97, the shaper at
 * an eighth), within 2 s. The line in front of the outbox counts bytes and the rate kept now, and batches shrink with
 * the rate.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LanesUnderBatchesLatencyTest {

    private static final int BACKLOG = 30_000;
    private static final int PER_REQUEST = 1_500;
    private static final String PADDING = "p".repeat(200);

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(p -> {
        p.put("uplink.max-publish-rate", "100");
        p.put("uplink.max-bytes-rate", "512KB");
        p.put("uplink.max-inflight", "100");
        p.put("uplink.batch.max-readings", "500");
        p.put("uplink.batch.max-delay", "100ms");
        p.put("camel.main.shutdown-timeout", "1");
    });

    @BeforeAll
    static void aBacklogOfLargeBatchesIsDraining() {
        uplink.backlogBehindACut(BACKLOG, PER_REQUEST, i -> "{\"backlog\": " + i + ", \"pad\": \"" + PADDING + "\"}");
        RunningBundle.await(() -> batchesReceived() >= 5, Duration.ofSeconds(20), "the batches draining");
    }

    @Test
    @Order(1)
    void anEventWaitsAtMostOneSecondBehindBatchesAtTheFullQuota() {
        long latency = eventLatencyMillis("full");
        assertTrue(latency <= 1_000, "the event took " + latency + " ms behind 128 KB batches");
    }

    @Test
    @Order(2)
    void anEventWaitsAtMostTwoSecondsAfterThreeSlowDowns() {
        RunningBundle bundle = uplink.bundle();
        uplink.broker().policy(BrokerPolicy.seed(TestBroker.PREFIX).refusing("bombercat/telemetry", 0x97));
        try {
            RunningBundle.await(() -> bundle.status().get("quota").get("slow_downs").asInt() >= 3,
                    Duration.ofSeconds(20), "three slow-downs");
        } finally {
            uplink.broker().policy(BrokerPolicy.seed(TestBroker.PREFIX));
        }
        assertTrue(bundle.status().get("quota").get("slowed_down").asBoolean());
        long latency = eventLatencyMillis("slow");
        assertTrue(latency <= 2_000, "the event took " + latency + " ms after three 0x97s");
    }

    private static long eventLatencyMillis(String name) {
        long posted = System.nanoTime();
        HttpResponse<String> response = uplink.bundle().http("POST", "/events/alert_" + name, "application/json",
                "{}");
        assertEquals(202, response.statusCode(), response.body());
        String id = RunningBundle.json(response.body()).get("message_ids").get(0).asText();
        ReceivedPublish arrived = Awaitility.await("the event " + name).atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> uplink.broker().received().stream()
                        .filter(p -> id.equals(p.userProperties().get("message_id"))).findFirst(), Optional::isPresent)
                .orElseThrow();
        long millis = (arrived.receivedAtNanos() - posted) / 1_000_000;
        System.out.printf("LanesUnderBatchesLatencyTest: the event (%s) published after %d ms, %d batches in%n", name,
                millis, batchesReceived());
        return millis;
    }

    private static long batchesReceived() {
        return uplink.broker().received().stream().filter(p -> p.userProperties().containsKey("batch_size")).count();
    }
}
