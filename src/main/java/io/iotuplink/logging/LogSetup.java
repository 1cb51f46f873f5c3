package io.iotuplink.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.slf4j.LoggerFactory;

import java.util.Locale;
import java.util.Map;

/**
 * Applies the logging variables before anything logs: {@code UPLINK_LOG_FORMAT=json} switches to one JSON object
 * per line (logback-json.xml), {@code UPLINK_LOG_FILE} adds a file beside the console. {@code UPLINK_LOG_LEVEL}
 * is read by the logback files themselves.
 */
public final class LogSetup {

    private LogSetup() {
    }

    public static void apply(Map<String, String> env) {
        boolean json = "json".equals(env.getOrDefault("UPLINK_LOG_FORMAT", "text").trim().toLowerCase(Locale.ROOT));
        if (json) {
            System.setProperty("logback.configurationFile", "logback-json.xml");
        }
        String file = env.get("UPLINK_LOG_FILE");
        if (file != null && !file.isBlank() && LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            addFile(context, file, json);
        }
    }

    private static void addFile(LoggerContext context, String path, boolean json) {
        Encoder<ILoggingEvent> encoder;
        if (json) {
            JsonEncoder jsonEncoder = new JsonEncoder();
            jsonEncoder.setContext(context);
            jsonEncoder.setWithSequenceNumber(false);
            jsonEncoder.setWithNanoseconds(false);
            jsonEncoder.setWithContext(false);
            jsonEncoder.setWithMessage(false);
            jsonEncoder.setWithArguments(false);
            jsonEncoder.setWithFormattedMessage(true);
            jsonEncoder.start();
            encoder = jsonEncoder;
        } else {
            PatternLayoutEncoder pattern = new PatternLayoutEncoder();
            pattern.setContext(context);
            pattern.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{24} - %msg%n");
            pattern.start();
            encoder = pattern;
        }
        FileAppender<ILoggingEvent> appender = new FileAppender<>();
        appender.setContext(context);
        appender.setName("UPLINK_LOG_FILE");
        appender.setFile(path);
        appender.setAppend(true);
        appender.setEncoder(encoder);
        appender.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(appender);
    }
}
