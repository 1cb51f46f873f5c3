package io.iotuplink.datadir;

import io.iotuplink.config.ConfigReader;
import io.iotuplink.config.UplinkConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The locks a bundle holds while it runs: its data dir's, and its inbox's when the inbox lies outside it. */
public final class DirectoryLocks implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DirectoryLocks.class);

    private final DataDirLock dataDir;
    private final DataDirLock inbox;

    private DirectoryLocks(DataDirLock dataDir, DataDirLock inbox) {
        this.dataDir = dataDir;
        this.inbox = inbox;
    }

    /**
     * Takes the data dir's lock, then the inbox's if it is elsewhere and writable (a read-only inbox is never
     * emptied by anyone; what was read from it is remembered in the data dir, which is locked).
     *
     * @throws DataDirInUseException naming the directory and its holder (nothing stays locked)
     */
    public static DirectoryLocks take(UplinkConfig config, String what) {
        DataDirLock dataDir = take(config, config.dataDir(), "uplink.data-dir", what);
        Path data = config.dataDir().toAbsolutePath().normalize();
        Path inbox = config.inbox().toAbsolutePath().normalize();
        if (inbox.startsWith(data) || (Files.isDirectory(inbox) && !Files.isWritable(inbox))) {
            return new DirectoryLocks(dataDir, null);
        }
        try {
            return new DirectoryLocks(dataDir, take(config, config.inbox(), "uplink.inbox", what));
        } catch (UncheckedIOException e) {
            LOG.debug("The inbox {} is not locked: {}", inbox, e.getMessage());
            return new DirectoryLocks(dataDir, null);
        } catch (RuntimeException e) {
            dataDir.close();
            throw e;
        }
    }

    private static DataDirLock take(UplinkConfig config, Path dir, String key, String what) {
        DataDirLock lock = DataDirLock.take(dir, ConfigReader.envName(key) + "=" + dir, what);
        try {
            // like every file the bundle writes (uplink.file-mode)
            config.fileMode().file(dir.resolve(DataDirLock.FILE));
        } catch (UncheckedIOException e) {
            LOG.debug("The mode of {} stays as it is: {}", dir.resolve(DataDirLock.FILE), e.getMessage());
        }
        return lock;
    }

    @Override
    public void close() {
        if (inbox != null) {
            inbox.close();
        }
        dataDir.close();
    }
}
