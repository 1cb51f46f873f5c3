package io.iotuplink.logging;

import org.slf4j.Logger;
import org.slf4j.event.Level;
import org.slf4j.helpers.FormattingTuple;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.LoggingEventBuilder;

import java.lang.ref.WeakReference;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A log line for a problem that may repeat per reading, record or attempt: its first occurrence is logged with its
 * detail, later ones (per key) are only counted, and at most one summary line a minute says
 * "… N more in the last 60 s" with the last one's detail. A cause is logged with its stack trace only when the
 * logger is at DEBUG. Thread-safe; a suppressed occurrence costs a map lookup and an uncontended lock.
 * <pre>{@code
 * private final RepeatedProblem retries = RepeatedProblem.warn(LOG, "Publish retries");
 * // the key says which occurrences are one problem: here, one per reason code
 * retries.report("PUBACK 0x97", "Reading {} not accepted ({}); retried in {}", messageId, reason, delay);
 * }</pre>
 * In a Camel redelivery policy, turn Camel's own retry line off ({@code setRetryAttemptedLogLevel(OFF)}) and report
 * from an {@code onRedelivery} processor instead.
 */
public final class RepeatedProblem {

    /** The least time between two lines about one key. */
    public static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** Keys remembered at most (keys may come from records); past it every new key shares one. */
    static final int MAX_KEYS = 1_000;
    static final String OTHER_KEY = "(other)";
    /** How often the summary of a burst that has ended is written, when time is the system's. */
    private static final long FLUSH_SECONDS = 10;

    private static final List<WeakReference<RepeatedProblem>> FLUSHED = new CopyOnWriteArrayList<>();
    private static volatile ScheduledExecutorService flusher;

    private final Logger log;
    private final Level level;
    private final String summary;
    private final LongSupplier nanos;
    private final Map<String, Occurrences> byKey = new ConcurrentHashMap<>();

    /**
     * {@code summary} opens each summary line (like {@code "Invalid records from routes"}); {@code nanos} is
     * monotonic time. The summary of a burst that ended is written by {@link #flush()}: the factories
     * ({@link #warn}, {@link #error}, {@link #info}) have a shared daemon thread ({@code uplink-log-summaries})
     * call it every 10 s.
     */
    public RepeatedProblem(Logger log, Level level, String summary, LongSupplier nanos) {
        this.log = log;
        this.level = level;
        this.summary = summary;
        this.nanos = nanos;
    }

    /** A WARN on the system's monotonic time, summarised in the background. */
    public static RepeatedProblem warn(Logger log, String summary) {
        return warn(log, summary, System::nanoTime);
    }

    /** A WARN on the monotonic time {@code nanos}, summarised in the background too. */
    public static RepeatedProblem warn(Logger log, String summary, LongSupplier nanos) {
        return flushed(new RepeatedProblem(log, Level.WARN, summary, nanos));
    }

    /** An ERROR on the system's monotonic time, summarised in the background. */
    public static RepeatedProblem error(Logger log, String summary) {
        return error(log, summary, System::nanoTime);
    }

    /** An INFO on the system's monotonic time, summarised in the background. */
    public static RepeatedProblem info(Logger log, String summary) {
        return info(log, summary, System::nanoTime);
    }

    /** An ERROR on the monotonic time {@code nanos}, summarised in the background too. */
    public static RepeatedProblem error(Logger log, String summary, LongSupplier nanos) {
        return flushed(new RepeatedProblem(log, Level.ERROR, summary, nanos));
    }

    /** An INFO on the monotonic time {@code nanos}, summarised in the background too. */
    public static RepeatedProblem info(Logger log, String summary, LongSupplier nanos) {
        return flushed(new RepeatedProblem(log, Level.INFO, summary, nanos));
    }

    /**
     * One occurrence of the problem {@code key}, described like SLF4J's {@code log.warn(format, args)}: a last
     * argument that is a {@link Throwable} is the cause (its stack trace only at DEBUG).
     */
    public void report(String key, String format, Object... args) {
        report(key, Map.of(), format, args);
    }

    /** Like {@link #report(String, String, Object...)}, with key-value pairs for JSON logs on the first line. */
    public void report(String key, Map<String, ?> keyValues, String format, Object... args) {
        if (!log.isEnabledForLevel(level)) {
            return;
        }
        long now = nanos.getAsLong();
        Occurrences occurrences = occurrences(key);
        String summary;
        synchronized (occurrences) {
            if (occurrences.lastLineNanos == Long.MIN_VALUE
                    || occurrences.more == 0 && now - occurrences.lastLineNanos >= WINDOW_NANOS) {
                occurrences.lastLineNanos = now;
                summary = null;
            } else {
                occurrences.more++;
                occurrences.lastFormat = format;
                occurrences.lastArgs = args;
                summary = occurrences.summaryDue(now);
                if (summary == null) {
                    return;
                }
            }
        }
        if (summary == null) {
            first(keyValues, format, args);
        } else {
            log.atLevel(level).log(summary);
        }
    }

    /** Writes the summary of every key whose minute has passed with occurrences not yet said. */
    public void flush() {
        long now = nanos.getAsLong();
        for (Occurrences occurrences : byKey.values()) {
            String summary;
            synchronized (occurrences) {
                summary = occurrences.summaryDue(now);
            }
            if (summary != null) {
                log.atLevel(level).log(summary);
            }
        }
    }

    private Occurrences occurrences(String key) {
        Occurrences found = byKey.get(key);
        if (found != null) {
            return found;
        }
        return byKey.computeIfAbsent(byKey.size() >= MAX_KEYS ? OTHER_KEY : key, k -> new Occurrences());
    }

    private void first(Map<String, ?> keyValues, String format, Object[] args) {
        FormattingTuple message = MessageFormatter.arrayFormat(format, args);
        LoggingEventBuilder event = log.atLevel(level);
        keyValues.forEach(event::addKeyValue);
        if (message.getThrowable() != null && log.isDebugEnabled()) {
            event = event.setCause(message.getThrowable());
        }
        event.log(message.getMessage());
    }

    private static RepeatedProblem flushed(RepeatedProblem problem) {
        FLUSHED.add(new WeakReference<>(problem));
        if (flusher == null) {
            synchronized (RepeatedProblem.class) {
                if (flusher == null) {
                    ScheduledExecutorService started = Executors.newSingleThreadScheduledExecutor(task -> {
                        Thread thread = new Thread(task, "uplink-log-summaries");
                        thread.setDaemon(true);
                        return thread;
                    });
                    started.scheduleWithFixedDelay(RepeatedProblem::flushAll, FLUSH_SECONDS, FLUSH_SECONDS,
                            TimeUnit.SECONDS);
                    flusher = started;
                }
            }
        }
        return problem;
    }

    private static void flushAll() {
        for (WeakReference<RepeatedProblem> reference : FLUSHED) {
            RepeatedProblem problem = reference.get();
            if (problem == null) {
                FLUSHED.remove(reference);
            } else {
                try {
                    problem.flush();
                } catch (RuntimeException e) {
                    // a summary that cannot be written must not end the thread that writes the others
                }
            }
        }
    }

    /** What was not said yet about one key; read and written under its own monitor. */
    private final class Occurrences {
        long lastLineNanos = Long.MIN_VALUE;
        long more;
        String lastFormat;
        Object[] lastArgs;

        /** The summary line, once a minute passed with occurrences not yet said (which it then counts as said). */
        String summaryDue(long now) {
            if (more == 0 || now - lastLineNanos < WINDOW_NANOS) {
                return null;
            }
            String line = summary + ": " + String.format(Locale.ROOT, "%,d", more) + " more in the last "
                    + TimeUnit.NANOSECONDS.toSeconds(now - lastLineNanos) + " s (the last: "
                    + MessageFormatter.arrayFormat(lastFormat, lastArgs).getMessage() + ")";
            more = 0;
            lastLineNanos = now;
            return line;
        }
    }
}
