package io.iotuplink.publish;

import io.iotuplink.inputs.ReadingRoutesHeaders;
import io.iotuplink.status.StatusReport;
import org.apache.camel.builder.RouteBuilder;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** Emits the seed's {@code keepalive} event every {@code uplink.keepalive-interval}: uptime and "alive". */
public final class KeepaliveRoute extends RouteBuilder {

    private final Duration interval;
    private final StatusReport status;

    public KeepaliveRoute(Duration interval, StatusReport status) {
        this.interval = interval;
        this.status = status;
    }

    @Override
    public void configure() {
        if (interval.isZero()) {
            return;
        }
        // scheduler: runs on monotonic time (timer: follows the wall clock, and a step back would stall it)
        from("scheduler:uplink-keepalive?initialDelay=1000&delay=" + interval.toMillis()).routeId("uplink-keepalive")
                .process(e -> {
                    Map<String, Object> metadata = new LinkedHashMap<>();
                    metadata.put("uptime", status.uptimeSeconds());
                    metadata.put("status", "alive");
                    e.getMessage().setBody(metadata);
                    e.getMessage().setHeader(PublishRoutes.EVENT_NAME, "keepalive");
                    e.getMessage().setHeader(ReadingRoutesHeaders.INPUT, "keepalive");
                })
                .to("direct:event");
    }
}
