package io.iotuplink.inputs.file;

import io.iotuplink.outbox.OutboxFullException;
import io.iotuplink.outbox.OutboxStorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Inbox files the outbox has no room for: they stay in the inbox, unread, until it has room for all of a file's
 * readings. A file is known by its path, size and modification time; what it needs (its good readings and their
 * bytes) is learnt when the outbox first refuses it, and a full outbox keeps every file out without opening it.
 * One WARN when files start waiting, one INFO when the last of them is read. Called by the inbox's filter and its
 * route, on the file consumer's thread, and by {@code GET /status}: every method is synchronized.
 */
public final class FilesAwaitingRoom {

    private static final Logger LOG = LoggerFactory.getLogger(FilesAwaitingRoom.class);
    /** A refused file is not read again sooner, whatever the outbox's depth says: the outbox decides, not this. */
    static final long RETRY_MILLIS = 1_000;
    /** The outbox could not write (disk full, I/O error): no depth says when it can again; it is tried this often. */
    static final long STORAGE_RETRY_MILLIS = 10_000;
    /** A waiting file the filter has not seen for this long was removed or changed: it no longer waits. */
    static final long FORGET_MILLIS = 60_000;
    private static final String ROOM = "the outbox has room for all of it (the connection back, or a larger"
            + " uplink.outbox.max-readings / max-bytes)";
    private static final String WRITES = "the outbox can write again (tried every " + STORAGE_RETRY_MILLIS / 1000
            + " s)";
    /** More than an inbox holds; past it the oldest are forgotten (and read again, which the outbox refuses). */
    private static final int REMEMBERED = 10_000;

    private final LongSupplier depth;
    private final LongSupplier bytes;
    private final long maxReadings;
    private final long maxBytes;
    private final boolean rejectsWhenFull;
    /** Monotonic milliseconds: every wait here is one. */
    private final LongSupplier millis;
    private final Map<String, Waiting> waiting = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Waiting> eldest) {
            return size() > REMEMBERED;
        }
    };
    private long storageRetryAt;
    private long lastPrune;
    private long since;

    /** What one waiting file needs (0 readings: not known yet, it was never read) and when it may be read again. */
    private static final class Waiting {
        final long readings;
        final long bytes;
        final long notBefore;
        long seen;

        Waiting(long readings, long bytes, long notBefore, long seen) {
            this.readings = readings;
            this.bytes = bytes;
            this.notBefore = notBefore;
            this.seen = seen;
        }
    }

    /**
     * @param depth           the readings in the outbox now
     * @param bytes           their bytes
     * @param rejectsWhenFull the outbox refuses new readings when full (else it drops its oldest, and is never full)
     * @param millis          monotonic time in milliseconds (a step of the wall clock never changes a wait)
     */
    public FilesAwaitingRoom(LongSupplier depth, LongSupplier bytes, long maxReadings, long maxBytes,
            boolean rejectsWhenFull, LongSupplier millis) {
        this.depth = depth;
        this.bytes = bytes;
        this.maxReadings = maxReadings;
        this.maxBytes = maxBytes;
        this.rejectsWhenFull = rejectsWhenFull;
        this.millis = millis;
    }

    static String key(Path file, BasicFileAttributes attributes) {
        return file.toAbsolutePath().normalize() + "\u0000" + attributes.size() + "\u0000"
                + attributes.lastModifiedTime().toMillis();
    }

    /** Whether the inbox may read the file now: false while the outbox has no room for what it needs. */
    public synchronized boolean mayRead(Path file, BasicFileAttributes attributes) {
        long now = millis.getAsLong();
        forgetUnseen(now);
        String key = key(file, attributes);
        Waiting known = waiting.get(key);
        boolean unknown = known == null || known.readings == 0;
        boolean room = now >= storageRetryAt && (known == null || now >= known.notBefore)
                && fits(unknown ? 1 : known.readings, unknown ? 1 : known.bytes);
        if (known != null) {
            known.seen = now;
        } else if (!room) {
            waiting.put(key, new Waiting(0, 0, now, now));
            if (now >= storageRetryAt) {
                started(file, "the outbox is full (" + depth.getAsLong() + " of " + maxReadings + " readings, "
                        + bytes.getAsLong() + " of " + maxBytes + " bytes waiting)", ROOM);
            } else {
                started(file, "the outbox cannot write", WRITES);
            }
        }
        return room;
    }

    /** The outbox refused the file's {@code readings} good readings ({@code envelopeBytes} in all): it waits. */
    public synchronized void refused(Path file, BasicFileAttributes attributes, long readings, long envelopeBytes,
            OutboxFullException why) {
        long now = millis.getAsLong();
        boolean storage = why instanceof OutboxStorageException;
        if (storage) {
            storageRetryAt = now + STORAGE_RETRY_MILLIS;
        }
        waiting.put(key(file, attributes), new Waiting(readings, envelopeBytes,
                now + (storage ? STORAGE_RETRY_MILLIS : RETRY_MILLIS), now));
        long roomReadings = Math.max(0, maxReadings - depth.getAsLong());
        long roomBytes = Math.max(0, maxBytes - bytes.getAsLong());
        if (storage) {
            started(file, why.getMessage(), WRITES);
        } else if (readings > roomReadings) {
            started(file, "the outbox has room for " + roomReadings + " more readings, the file holds " + readings,
                    ROOM);
        } else if (envelopeBytes > roomBytes) {
            started(file, "the outbox has room for " + roomBytes + " more bytes, the file's readings take "
                    + envelopeBytes, ROOM);
        } else {
            started(file, why.getMessage(), ROOM);
        }
    }

    /** The file was read: its readings are in the outbox, or it was set aside. */
    public synchronized void read(Path file, BasicFileAttributes attributes) {
        if (waiting.remove(key(file, attributes)) != null && waiting.isEmpty()) {
            ended();
        }
    }

    /** How many inbox files wait for room in the outbox. */
    public synchronized int count() {
        return waiting.size();
    }

    private boolean fits(long readings, long needed) {
        return !rejectsWhenFull
                || depth.getAsLong() + readings <= maxReadings && bytes.getAsLong() + needed <= maxBytes;
    }

    private void started(Path file, String why, String until) {
        if (since != 0) {
            return;
        }
        since = millis.getAsLong();
        LOG.warn("Inbox: {} waits in the inbox, unread: {}. Nothing of it is stored, set aside or counted until {};"
                + " so do the files after it that do not fit", file, why, until);
    }

    private void ended() {
        if (since == 0) {
            return;
        }
        LOG.info("Inbox: no file waits for room in the outbox any more: they were read, or removed (the first"
                + " waited {} s)", (millis.getAsLong() - since) / 1000);
        since = 0;
    }

    private void forgetUnseen(long now) {
        if (now - lastPrune < FORGET_MILLIS / 6 || waiting.isEmpty()) {
            return;
        }
        lastPrune = now;
        if (waiting.values().removeIf(w -> now - w.seen > FORGET_MILLIS) && waiting.isEmpty()) {
            ended();
        }
    }
}
