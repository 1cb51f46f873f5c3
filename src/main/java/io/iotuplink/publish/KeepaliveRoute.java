package io.iotuplink.publish;

import io.iotuplink.inputs.ReadingRoutesHeaders;
import io.iotuplink.logging.RepeatedProblem;
import io.iotuplink.status.StatusReport;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/** Emits the seed's {@code keepalive} event every {@code uplink.keepalive-interval}: uptime and "alive". */
public final class KeepaliveRoute extends RouteBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(KeepaliveRoute.class);

    private final Duration interval;
    private final DoubleSupplier uptimeSeconds;
    private final RepeatedProblem failures;

    public KeepaliveRoute(Duration interval, StatusReport status) {
        this(interval, status::uptimeSeconds, System::nanoTime);
    }

    /** {@code nanos}: monotonic time, for the summary of keepalives that could not be stored. */
    public KeepaliveRoute(Duration interval, DoubleSupplier uptimeSeconds, LongSupplier nanos) {
        this.interval = interval;
        this.uptimeSeconds = uptimeSeconds;
        this.failures = RepeatedProblem.warn(LOG, "Keepalives not stored", nanos);
    }

    @Override
    public void configure() {
        if (interval.isZero()) {
            return;
        }
        // a keepalive that cannot be stored (the outbox full, its disk full) is said once, then counted: Camel's
        // ERROR and the scheduler's WARN, each with a stack trace, would come at every interval
        onException(Exception.class).handled(true)
                .process(e -> {
                    Exception cause = e.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
                    failures.report(cause.getClass().getName(), "Keepalive event not stored: {}; the next one is"
                            + " due in {} s", cause.getMessage(), interval.toSeconds(), cause);
                });
        // scheduler: runs on monotonic time (timer: follows the wall clock, and a step back would stall it)
        from("scheduler:uplink-keepalive?initialDelay=1000&delay=" + interval.toMillis()).routeId("uplink-keepalive")
                .process(e -> {
                    Map<String, Object> metadata = new LinkedHashMap<>();
                    metadata.put("uptime", uptimeSeconds.getAsDouble());
                    metadata.put("status", "alive");
                    e.getMessage().setBody(metadata);
                    e.getMessage().setHeader(PublishRoutes.EVENT_NAME, "keepalive");
                    e.getMessage().setHeader(ReadingRoutesHeaders.INPUT, "keepalive");
                })
                .to("direct:event");
    }
}
