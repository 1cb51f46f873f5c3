package io.iotuplink.outbox;

import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.support.BrokerAndBundle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A burst of readings is spread by the shaper, as the broker sees it; nothing is dropped. That no second ever holds
 * more than the limit is checked where shaping happens, in {@code PublishShaperTest}, on a simulated clock.
 */
class ShapingTest {

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(p -> p.put("uplink.max-publish-rate", "20"));

    @Test
    void aBurstGoesOutAtTheConfiguredRateAndCompletely() {
        String burst = IntStream.range(0, 60).mapToObj(i -> "{\"burst\": " + i + "}")
                .collect(Collectors.joining(",", "[", "]"));
        assertEquals(202, uplink.bundle().http("POST", "/telemetry", "application/json", burst).statusCode());

        List<ReceivedPublish> received = uplink.broker().await(p -> p.payloadText().contains("\"burst\""), 60,
                Duration.ofSeconds(30));

        // the 41st to 60th may only be sent 2 s after the first 20; arrivals may bunch by a few ms, not by 100
        long first = received.stream().mapToLong(ReceivedPublish::receivedAtNanos).min().orElseThrow();
        long last = received.stream().mapToLong(ReceivedPublish::receivedAtNanos).max().orElseThrow();
        assertTrue(last - first >= 1_900_000_000L, "60 readings at 20/s take 2 s or more: " + (last - first));
        assertEquals(60, received.stream().map(p -> p.userProperties().get("message_id")).distinct().count());
    }
}
