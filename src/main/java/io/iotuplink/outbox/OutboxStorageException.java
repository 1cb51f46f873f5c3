package io.iotuplink.outbox;

import java.nio.file.Path;

/**
 * The outbox's database could not write: its file system is full (SQLite's {@code SQLITE_FULL}) or refuses the
 * write. The readings of the refused request were not stored; those stored before are kept. A kind of
 * {@link OutboxFullException}, so every input that leaves its input waiting when the outbox is full (the inbox
 * file stays) does the same here.
 */
public class OutboxStorageException extends OutboxFullException {

    private final Path dataDir;
    private final boolean full;
    private final long freeBytes;
    private final long neededBytes;

    public OutboxStorageException(String message, Path dataDir, boolean full, long freeBytes, long neededBytes,
            Throwable cause) {
        super(message);
        initCause(cause);
        this.dataDir = dataDir;
        this.full = full;
        this.freeBytes = freeBytes;
        this.neededBytes = neededBytes;
    }

    /** The directory holding the outbox's database. */
    public Path dataDir() {
        return dataDir;
    }

    /** Whether SQLite said the disk is full (rather than another write error). */
    public boolean full() {
        return full;
    }

    /** What the data dir's file system had free when the write failed (-1: unknown). */
    public long freeBytes() {
        return freeBytes;
    }

    /** At least this much more free space would have let the write through (0: not a question of space). */
    public long neededBytes() {
        return neededBytes;
    }
}
