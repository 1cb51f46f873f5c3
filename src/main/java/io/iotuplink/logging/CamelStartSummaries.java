package io.iotuplink.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

import java.util.Locale;
import java.util.Set;

/**
 * Keeps camel-main's start-up summaries (every property, every route, the HTTP endpoints) out of a log at INFO, so
 * that the bundle's own few lines, and a problem, are what a start shows; at DEBUG they are back. Camel's HTTP
 * endpoints summary is never shown: it names 0.0.0.0 whatever address the API is bound to (the bundle logs its own).
 */
public final class CamelStartSummaries extends TurboFilter {

    private static final Set<String> SUMMARIES = Set.of(
            "org.apache.camel.main.MainSupport",
            "org.apache.camel.main.BaseMainSupport",
            "org.apache.camel.component.micrometer.prometheus.MicrometerPrometheus",
            "org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer");
    /** Its start lines ("is starting", the routes one by one, "started in"), not its shutdown lines. */
    private static final String CONTEXT = "org.apache.camel.impl.engine.AbstractCamelContext";
    private static final String HTTP_ENDPOINTS = "org.apache.camel.component.platform.http.main.MainHttpServerUtil";

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
            Throwable t) {
        if (level != Level.INFO || logger == null) {
            return FilterReply.NEUTRAL;
        }
        String name = logger.getName();
        if (name.equals(HTTP_ENDPOINTS)) {
            return FilterReply.DENY;
        }
        boolean summary = SUMMARIES.contains(name)
                || name.equals(CONTEXT) && (format == null || !format.toLowerCase(Locale.ROOT).contains("shut"));
        if (!summary || logger.getLoggerContext().getLogger(Logger.ROOT_LOGGER_NAME).isDebugEnabled()) {
            return FilterReply.NEUTRAL;
        }
        return FilterReply.DENY;
    }
}
