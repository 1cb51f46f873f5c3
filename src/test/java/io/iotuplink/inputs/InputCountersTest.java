package io.iotuplink.inputs;

import io.iotuplink.connection.ConnectionMonitor;
import io.iotuplink.outbox.OutboxStore;
import io.iotuplink.outbox.WhenFull;
import io.iotuplink.status.UplinkMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The input counts are kept once: the status document and the Prometheus metrics read the same numbers. */
class InputCountersTest {

    @TempDir
    Path dir;

    private final PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private OutboxStore outbox;

    private UplinkMetrics metrics() {
        outbox = OutboxStore.open(dir.resolve("outbox.db"), 10, 100_000, WhenFull.REJECT);
        return new UplinkMetrics(prometheus, new ConnectionMonitor(Clock.systemUTC(), 10), outbox);
    }

    @AfterEach
    void close() {
        if (outbox != null) {
            outbox.close();
        }
    }

    private long scraped(String input, String result) {
        Matcher line = Pattern.compile("(?m)^uplink_input_records_total\\{input=\"" + input + "\",result=\"" + result
                + "\"} ([0-9.E]+)$").matcher(prometheus.scrape());
        return line.find() ? (long) Double.parseDouble(line.group(1)) : -1;
    }

    @Test
    void statusAndPrometheusReportTheSameCounts() {
        InputCounters inputs = new InputCounters();
        inputs.accepted("file", 2);
        inputs.refused("file", 1);
        inputs.reportTo(metrics());
        inputs.accepted("file", 3);
        inputs.accepted("http", 4);
        inputs.refused("http", 5);

        assertEquals(Map.of("file", Map.of("accepted", 5L, "refused", 1L),
                "http", Map.of("accepted", 4L, "refused", 5L)), inputs.snapshot());
        assertEquals(5, scraped("file", "accepted"));
        assertEquals(1, scraped("file", "refused"));
        assertEquals(4, scraped("http", "accepted"));
        assertEquals(5, scraped("http", "refused"));
    }

    @Test
    void anInputIsObservedFromTheFirstRecordItCounts() {
        InputCounters inputs = new InputCounters();
        inputs.reportTo(metrics());
        assertEquals(-1, scraped("serial", "accepted"), "no meter before the input is seen");

        inputs.refused("serial", 1);

        assertEquals(0, scraped("serial", "accepted"));
        assertEquals(1, scraped("serial", "refused"));
    }
}
