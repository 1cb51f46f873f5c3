package io.iotuplink.datadir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One process per data dir (and per inbox): an exclusive OS file lock on {@code {dir}/.lock}, which the system
 * releases when the process ends however it ends, so a {@code kill -9} or a power cut never leaves it stale. The
 * file holds the holder's PID, what it runs and when it started, for the refusal of the next one.
 */
public final class DataDirLock implements AutoCloseable {

    /** The lock file's name in the directory it guards; a dot name, which the inbox never reads. */
    public static final String FILE = ".lock";

    /**
     * The locks this JVM holds, by directory: the OS lock is the process's, and on Linux closing any channel on the
     * file would release it, so a second attempt from this JVM is answered from here without opening the file.
     */
    private static final Map<Path, DataDirLock> HELD = new ConcurrentHashMap<>();

    private final Path dir;
    private final String holder;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(Path dir, String holder, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.holder = holder;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of {@code dir} (made if missing) for this process.
     *
     * @param setting how the user named the directory ({@code UPLINK_DATA_DIR=./data}), for the refusal
     * @param what    what this process runs there ({@code bundle}, {@code outbox drop}), for the next one's refusal
     * @throws DataDirInUseException naming the directory and the PID that holds it, in one line
     * @throws UncheckedIOException  when the lock file cannot be made or locked (a read-only directory...)
     */
    public static DataDirLock take(Path dir, String setting, String what) {
        Path key = dir.toAbsolutePath().normalize();
        DataDirLock mine = HELD.get(key);
        if (mine != null) {
            throw new DataDirInUseException(refusal(setting, mine.holder));
        }
        Path file = key.resolve(FILE);
        FileChannel channel = null;
        try {
            Files.createDirectories(key);
            // not TRUNCATE_EXISTING: the holder's line must survive a refused attempt
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                String holder = holder(channel);
                channel.close();
                throw new DataDirInUseException(refusal(setting, holder));
            }
            String holder = "PID " + ProcessHandle.current().pid() + " (" + what + ", started "
                    + ProcessHandle.current().info().startInstant().orElse(Instant.now()) + ")";
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((holder + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(false);
            DataDirLock taken = new DataDirLock(key, holder, channel, lock);
            HELD.put(key, taken);
            return taken;
        } catch (IOException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // the lock was not taken; nothing else to undo
                }
            }
            throw new UncheckedIOException(setting + ": cannot take the lock " + file + " (" + e
                    + "): the directory must be writable by the bundle's user, on a file system with locks (a local"
                    + " disk, not a share without a lock manager)", e);
        }
    }

    /** The directory it guards. */
    public Path dir() {
        return dir;
    }

    /** Releases the lock (the process's end does too). */
    @Override
    public void close() {
        HELD.remove(dir, this);
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // the channel is gone either way, and the OS drops the lock with it
        }
    }

    private static String holder(FileChannel channel) throws IOException {
        ByteBuffer text = ByteBuffer.allocate(256);
        channel.read(text, 0);
        String line = new String(text.array(), 0, text.position(), StandardCharsets.UTF_8).strip();
        // the holder may have opened the file and not written its line yet
        return line.isEmpty() ? "(a process that is just starting)" : line;
    }

    private static String refusal(String setting, String holder) {
        return setting + ": in use by iot-uplink " + holder + "; one bundle or command at a time per directory"
                + " (two would send readings twice): stop it first, or give this one another directory";
    }
}
