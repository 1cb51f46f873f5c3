package io.iotuplink.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import io.iotuplink.support.TlsRecordRelay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The outbox's books end to end, through a relay that swallows every packet for a while (publishes time out, the
 * link is replaced): handed-back batches that expire meanwhile leave no phantom backlog, and drop-oldest never counts
 * a reading both dropped and published. Both were measured on the outbox before it had one owner.
 */
class BooksThroughASilentLinkTest {

    @TempDir
    Path dir;

    /** What a test does with its bundle, behind a relay it can silence, and its broker. */
    private interface BehindARelay {
        void run(RunningBundle bundle, TlsRecordRelay relay, TestBroker broker) throws Exception;
    }

    private void behindARelay(String clientId, Map<String, String> settings, BehindARelay test) throws Exception {
        try (TestBroker broker = TestBroker.start(dir.resolve("broker"));
             TlsRecordRelay relay = TlsRecordRelay.to(broker.port())) {
            Map<String, String> p = RunningBundle.properties("localhost:" + relay.port(),
                    broker.device(clientId, TestBroker.KeyForm.PKCS1), dir.resolve("data-" + clientId));
            p.put("aws.iot.client-id", clientId);
            p.put("uplink.mqtt.publish-timeout", "2s");
            p.put("uplink.mqtt.connect-timeout", "2s");
            p.put("uplink.max-publish-rate", "0"); // no quotas: the drain is quick
            p.put("uplink.max-bytes-rate", "0");
            p.putAll(settings);
            try (RunningBundle bundle = RunningBundle.start(p).awaitConnected()) {
                test.run(bundle, relay, broker);
            }
        }
    }

    @Test
    void batchesHandedBackThatExpireLeaveNoPhantomBacklog() throws Exception {
        behindARelay("bombercat-phantom", Map.of("uplink.batch.max-readings", "500",
                "uplink.outbox.ttl.telemetry", "4s"), (bundle, relay, broker) -> {
            relay.silent(true);
            for (int from = 0; from < 6_000; from += 500) {
                post(bundle, from, 500);
            }
            // the batches handed out time out and come back; the rest expire while the link is silent
            RunningBundle.await(() -> bundle.status().get("readings_expired").asLong() > 0,
                    Duration.ofSeconds(30), "readings expiring while the link is silent");
            relay.silent(false);

            RunningBundle.await(() -> bundle.status().get("buffered").asInt() == 0, Duration.ofSeconds(30),
                    "nothing left waiting once the link is back");
            JsonNode status = bundle.status();
            assertBalanced(status);
            assertTrue(status.get("readings_published").asLong() + status.get("readings_expired").asLong()
                    >= 6_000, "each reading published or expired: " + status);
        });
    }

    @Test
    void dropOldestDropsOnlyWaitingReadingsSoPublishedAndDroppedAddUpToWhatWasAccepted() throws Exception {
        behindARelay("bombercat-drop", Map.of("uplink.outbox.max-readings", "1200",
                "uplink.outbox.when-full", "drop-oldest", "uplink.keepalive-interval", "0"),
                (bundle, relay, broker) -> {
            relay.silent(true);
            Set<String> accepted = new HashSet<>();
            for (int from = 0; from < 4_000; from += 500) {
                accepted.addAll(post(bundle, from, 500));
            }
            relay.silent(false);

            RunningBundle.await(() -> bundle.status().get("buffered").asInt() == 0, Duration.ofSeconds(60),
                    "the outbox drained");
            JsonNode status = bundle.status();
            assertBalanced(status);
            Set<String> published = broker.received().stream().map(ReceivedPublish::userProperties)
                    .map(properties -> properties.get("message_id")).filter(accepted::contains)
                    .collect(Collectors.toSet());
            long dropped = status.get("readings_dropped").asLong();
            assertTrue(dropped > 0, "the outbox was full: " + status);
            assertEquals(accepted.size(), published.size() + dropped,
                    "each accepted reading published or dropped, never both: " + status);
        });
    }

    private static void assertBalanced(JsonNode status) {
        assertEquals(status.get("readings_accepted").asLong(), status.get("readings_published").asLong()
                + status.get("readings_failed").asLong() + status.get("readings_expired").asLong()
                + status.get("readings_dropped").asLong() + status.get("buffered").asLong(),
                "accepted = published + failed + expired + dropped + buffered: " + status);
    }

    private static Set<String> post(RunningBundle bundle, int first, int count) {
        String body = IntStream.range(first, first + count).mapToObj(i -> "{\"seq\": " + i + "}")
                .collect(Collectors.joining(",", "[", "]"));
        HttpResponse<String> response = bundle.http("POST", "/telemetry", "application/json", body);
        assertEquals(202, response.statusCode(), response.body());
        Set<String> ids = new HashSet<>();
        RunningBundle.json(response.body()).get("message_ids").forEach(id -> ids.add(id.asText()));
        return ids;
    }
}
