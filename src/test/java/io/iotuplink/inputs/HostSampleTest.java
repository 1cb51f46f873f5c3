package io.iotuplink.inputs;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.RunningBundle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sampling route (routes/host-sample.camel.yaml) publishing the gateway's health as telemetry. */
class HostSampleTest {

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(p -> p.put("uplink.sample-interval", "300ms"));

    @Test
    void hostHealthIsPublishedEverySampleInterval() {
        var samples = uplink.broker().await(p -> p.payloadText().contains("\"memory_total_bytes\""), 2,
                Duration.ofSeconds(20));

        JsonNode data = RunningBundle.json(samples.get(0).payloadText()).get("data");
        List<String> keys = new java.util.ArrayList<>();
        data.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("load_average_1m", "memory_total_bytes", "memory_free_bytes", "disk_free_bytes",
                "uptime_seconds"), keys);
        assertTrue(data.get("disk_free_bytes").asLong() > 0);
        assertEquals("bombercat/telemetry", samples.get(0).topic());
        RunningBundle.await(() -> uplink.bundle().status().get("inputs").path("timer").path("accepted").asInt() >= 2,
                Duration.ofSeconds(5), "the timer input's count");
    }
}
