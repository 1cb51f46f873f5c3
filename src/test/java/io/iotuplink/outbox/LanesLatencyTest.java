package io.iotuplink.outbox;

import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.PeerClient;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Live data first, measured: with a 20,000 reading telemetry backlog draining at AWS's quotas (some 200 s of it), an
 * event posted and a command sent after the connection came back go out within 2 s, ahead of the backlog. The test
 * stops once both are measured; the rest of the backlog is left to drain, unwatched.
 */
class LanesLatencyTest {

    private static final int BACKLOG = 20_000;
    private static final int PER_REQUEST = 2_000;
    private static final Duration PROMISED = Duration.ofSeconds(2);
    /** How long a measurement waits before it calls the reading stuck behind the backlog. */
    private static final Duration GIVE_UP = Duration.ofSeconds(10);
    private static final String BACKLOG_MARK = "\"backlog\":";

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(p -> {
        // the defaults, spelled out: the promise is made at AWS's quotas, one reading per publish
        p.put("uplink.max-publish-rate", "100");
        p.put("uplink.max-bytes-rate", "512KB");
        p.put("uplink.max-inflight", "100");
        p.put("uplink.batch.max-readings", "1");
        // the backlog is left behind on purpose: the stop does not wait for the publishes still queued for a slot
        p.put("camel.main.shutdown-timeout", "1");
    });
    static PeerClient cloud;

    @BeforeAll
    static void aBacklogBuiltBehindACutConnectionIsDraining() {
        TestBroker broker = uplink.broker();
        cloud = new PeerClient(broker.port(), broker.device("cloud", TestBroker.KeyForm.PKCS1), "cloud", null);
        uplink.backlogBehindACut(BACKLOG, PER_REQUEST, i -> "{\"backlog\": " + i + ", \"temperature\": 21.5}");
        // past the first second's quota: the shaper's window is full and the publish threads queue in it
        RunningBundle.await(() -> backlogReceived() >= 150, Duration.ofSeconds(20), "the backlog draining");
    }

    @AfterAll
    static void closeCloud() {
        if (cloud != null) {
            cloud.close();
        }
    }

    @Test
    void anEventPostedDuringTheDrainIsPublishedWithinTwoSeconds() {
        long posted = System.nanoTime();
        HttpResponse<String> response = uplink.bundle().http("POST", "/events/temperature_alert", "application/json",
                "{\"severity\": \"warning\"}");
        assertEquals(202, response.statusCode(), response.body());
        String id = RunningBundle.json(response.body()).get("message_ids").get(0).asText();

        Duration latency = measure("the temperature_alert event", posted,
                p -> id.equals(p.userProperties().get("message_id")));

        assertTrue(latency.compareTo(PROMISED) <= 0, "the event took " + latency.toMillis() + " ms");
    }

    @Test
    void aPingDuringTheDrainIsAnsweredWithinTwoSeconds() {
        long sent = System.nanoTime();
        cloud.publish("bombercat/commands/ping", "{\"correlation_id\": \"lane-ping\"}", null);

        Duration latency = measure("the ping's command_result", sent, p -> p.topic().equals("bombercat/events")
                && p.payloadText().contains("\"command_result\"")
                && p.payloadText().contains("\"correlation_id\":\"lane-ping\""));

        assertTrue(latency.compareTo(PROMISED) <= 0, "the ping's answer took " + latency.toMillis() + " ms");
    }

    /**
     * How long after {@code sinceNanos} the broker took the publish {@code match} finds, printed; fails when it has
     * not come after {@link #GIVE_UP}, or when it did not overtake the backlog (all of it was at the broker first).
     */
    private static Duration measure(String what, long sinceNanos, Predicate<ReceivedPublish> match) {
        ReceivedPublish arrived;
        try {
            arrived = Awaitility.await(what).atMost(GIVE_UP).pollInterval(Duration.ofMillis(20))
                    .until(() -> uplink.broker().received().stream().filter(match).findFirst(), Optional::isPresent)
                    .orElseThrow();
        } catch (ConditionTimeoutException e) {
            String stuck = what + ": not published within " + GIVE_UP.toSeconds() + " s, "
                    + (BACKLOG - backlogReceived()) + " backlog readings still ahead of it";
            System.out.println("LanesLatencyTest: " + stuck);
            throw new AssertionError(stuck, e);
        }
        Duration latency = Duration.ofNanos(arrived.receivedAtNanos() - sinceNanos);
        long backlogBefore = uplink.broker().received().stream()
                .filter(p -> p.receivedAtNanos() < arrived.receivedAtNanos())
                .filter(p -> p.payloadText().contains(BACKLOG_MARK))
                .map(p -> p.userProperties().get("message_id")).distinct().count();
        System.out.printf("LanesLatencyTest: %s published after %d ms, %d backlog readings still in the outbox%n",
                what, latency.toMillis(), BACKLOG - backlogBefore);
        assertTrue(backlogBefore < BACKLOG, what + " overtook none of the backlog");
        return latency;
    }

    private static long backlogReceived() {
        return uplink.broker().received().stream().filter(p -> p.payloadText().contains(BACKLOG_MARK))
                .map(p -> p.userProperties().get("message_id")).distinct().count();
    }
}
