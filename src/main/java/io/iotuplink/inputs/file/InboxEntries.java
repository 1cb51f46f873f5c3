package io.iotuplink.inputs.file;

import org.apache.camel.component.file.GenericFile;
import org.apache.camel.component.file.GenericFileFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The inbox route's file filter: lets through only regular files (never following a symbolic link) that are not
 * {@link InboxLeftovers}. A symbolic link, FIFO, device, socket or directory is skipped and left where it is, with
 * one WARN naming it (not one per poll). A file changed within the settle time is passed over until a later poll,
 * so that a file still being written does not hold up the files behind it; so is a file the outbox has no room for
 * ({@link FilesAwaitingRoom}), which is not even opened until there is. A file has settled when its modification
 * time is the settle time behind the wall clock, or when it has been seen unchanged for the settle time of monotonic
 * time: after the wall clock is stepped back, files written before the step still settle.
 */
public final class InboxEntries implements GenericFileFilter<File> {

    private static final Logger LOG = LoggerFactory.getLogger(InboxEntries.class);
    /** Entries already warned about; bounded, so a flood of odd names cannot grow it for ever. */
    private static final int WARNED = 10_000;

    private final InboxLeftovers leftovers;
    private final FilesAwaitingRoom awaiting;
    private final long settleMillis;
    private final Clock clock;
    private final LongSupplier nanos;
    /** Regular files seen not yet settled: their size and modification time, and when they were first seen so. */
    private final Map<String, Unchanged> unsettled = Collections.synchronizedMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Unchanged> eldest) {
            return size() > WARNED;
        }
    });
    private final Map<String, String> warned = Collections.synchronizedMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > WARNED;
        }
    });

    /**
     * @param clock the wall clock, which file modification times are written in
     * @param nanos monotonic time, on which a file seen unchanged settles whatever the wall clock does
     */
    public InboxEntries(InboxLeftovers leftovers, FilesAwaitingRoom awaiting, Duration settleTime, Clock clock,
            LongSupplier nanos) {
        this.leftovers = leftovers;
        this.awaiting = awaiting;
        this.settleMillis = settleTime.toMillis();
        this.clock = clock;
        this.nanos = nanos;
    }

    private record Unchanged(long size, long modified, long sinceNanos) {
    }

    @Override
    public boolean accept(GenericFile<File> file) {
        Path path = file.getFile().toPath();
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException gone) {
            return false;
        }
        String key = path.toAbsolutePath().toString();
        if (attributes.isRegularFile()) {
            warned.remove(key);
            return settled(key, attributes) && !leftovers.contains(path, attributes)
                    && awaiting.mayRead(path, attributes);
        }
        String what = attributes.isSymbolicLink() ? "a symbolic link" : attributes.isDirectory() ? "a directory"
                : "not a regular file (a FIFO, a device or a socket)";
        if (!what.equals(warned.put(key, what))) {
            LOG.warn("Inbox: {} is {}: skipped and left where it is (only regular files directly in the inbox are"
                    + " read, links are never followed)", path, what);
        }
        return false;
    }

    private boolean settled(String key, BasicFileAttributes attributes) {
        long modified = attributes.lastModifiedTime().toMillis();
        if (clock.millis() - modified >= settleMillis) {
            unsettled.remove(key);
            return true;
        }
        long now = nanos.getAsLong();
        Unchanged seen = unsettled.get(key);
        if (seen == null || seen.size() != attributes.size() || seen.modified() != modified) {
            unsettled.put(key, new Unchanged(attributes.size(), modified, now));
            return false;
        }
        if (TimeUnit.NANOSECONDS.toMillis(now - seen.sinceNanos()) >= settleMillis) {
            unsettled.remove(key);
            return true;
        }
        return false;
    }
}
