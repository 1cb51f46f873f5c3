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

/** A burst of readings is spread by the shaper, as the broker sees it; nothing is dropped. */
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

        // the shaper holds every sliding second to 20 at sending; the network may bunch arrivals by a few ms
        for (int i = 0; i < received.size(); i++) {
            long start = received.get(i).receivedAtNanos();
            long inWindow = received.stream().filter(p -> p.receivedAtNanos() >= start
                    && p.receivedAtNanos() < start + 950_000_000L).count();
            assertTrue(inWindow <= 20, inWindow + " publishes within 950 ms");
        }
        long spread = received.get(59).receivedAtNanos() - received.get(0).receivedAtNanos();
        assertTrue(spread >= 1_900_000_000L, "60 readings at 20/s take about 2 s or more: " + spread);
    }
}
