package io.iotuplink.support;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the bytes the bundle's console log would write (its pattern, stack traces included) for what is logged
 * while it is attached (to the root logger, or one named); {@link #close()} detaches it.
 */
public final class LogBytes extends AppenderBase<ILoggingEvent> implements AutoCloseable {

    /** The console pattern of src/main/resources/logback.xml; Logback adds the stack trace after it. */
    private static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{24} - %msg%n";

    private final PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    private final AtomicLong bytes = new AtomicLong();
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private LogBytes() {
    }

    private String loggerName = Logger.ROOT_LOGGER_NAME;

    /** Attached to the root logger from now on. */
    public static LogBytes attached() {
        return attached(Logger.ROOT_LOGGER_NAME);
    }

    /** Attached to the logger {@code name} (and those below it) from now on. */
    public static LogBytes attached(String name) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        LogBytes counter = new LogBytes();
        counter.setContext(context);
        counter.encoder.setContext(context);
        counter.encoder.setPattern(PATTERN);
        counter.encoder.start();
        counter.start();
        counter.loggerName = name;
        context.getLogger(name).addAppender(counter);
        return counter;
    }

    @Override
    protected void append(ILoggingEvent event) {
        if ("uplink-log-summaries".equals(event.getThreadName())) {
            // the summary of a burst that ended on the system's clock: an earlier test's, in this shared JVM (a test's
            // own bursts run on simulated time, and their summaries come inline)
            return;
        }
        byte[] encoded = encoder.encode(event);
        bytes.addAndGet(encoded.length);
        lines.add(new String(encoded, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Bytes logged so far. */
    public long bytes() {
        return bytes.get();
    }

    /** The lines logged so far, as written (stack traces included). */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** What the same rate would log in an hour, from {@code bytes()} logged over {@code seconds}. */
    public long perHour(double seconds) {
        return Math.round(bytes() * 3600 / seconds);
    }

    /**
     * The most a problem logged through {@code RepeatedProblem} on the system's time can cost in an hour, from a
     * burst shorter than its minute: its first line and a summary a minute, each as long as the longest seen.
     */
    public long hourOfRepeatedProblems() {
        return 61L * lines.stream().mapToLong(l -> l.getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
                .max().orElse(0);
    }

    @Override
    public void close() {
        ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(loggerName).detachAppender(this);
        stop();
    }
}
