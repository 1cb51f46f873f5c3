package io.iotuplink.datadir;

import io.iotuplink.config.ConfigReader;
import io.iotuplink.config.UplinkConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One holder at a time per directory, named in the refusal; released on close. */
class DataDirLockTest {

    @TempDir
    Path dir;

    @Test
    void aSecondTakerIsRefusedWithOneLineNamingTheDirectoryAndThePidUntilTheFirstLetsGo() throws Exception {
        Path data = dir.resolve("data");
        long pid = ProcessHandle.current().pid();
        try (DataDirLock first = DataDirLock.take(data, "UPLINK_DATA_DIR=" + data, "bundle")) {
            assertTrue(Files.readString(data.resolve(DataDirLock.FILE))
                    .startsWith("PID " + pid + " (bundle, started "));
            DataDirInUseException refused = assertThrows(DataDirInUseException.class,
                    () -> DataDirLock.take(data, "UPLINK_DATA_DIR=" + data, "outbox drop"));
            assertEquals(1, refused.problems().size());
            assertTrue(refused.getMessage().startsWith("UPLINK_DATA_DIR=" + data + ": in use by iot-uplink PID " + pid
                    + " (bundle, started "), refused.getMessage());
            assertTrue(Files.readString(data.resolve(DataDirLock.FILE)).contains("(bundle,"),
                    "a refused taker leaves the holder's line");
        }
        try (DataDirLock again = DataDirLock.take(data, "UPLINK_DATA_DIR=" + data, "outbox drop")) {
            assertTrue(Files.readString(data.resolve(DataDirLock.FILE)).contains("(outbox drop,"));
        }
    }

    @Test
    void anInboxOutsideTheDataDirIsLockedTooAndOneInsideItIsCoveredByTheDataDirs() throws Exception {
        Map<String, String> p = new HashMap<>(Map.of("aws.iot.endpoint", "x-ats.iot.eu-west-1.amazonaws.com",
                "aws.iot.cert-path", "c", "aws.iot.key-path", "k", "aws.iot.ca-path", "a",
                "uplink.data-dir", dir.resolve("data").toString(), "uplink.inbox", dir.resolve("inbox").toString()));
        UplinkConfig first = ConfigReader.read(key -> Optional.ofNullable(p.get(key)), false).orThrow();
        p.put("uplink.data-dir", dir.resolve("other-data").toString());
        UplinkConfig sameInbox = ConfigReader.read(key -> Optional.ofNullable(p.get(key)), false).orThrow();
        try (DirectoryLocks locks = DirectoryLocks.take(first, "bundle")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                    dir.resolve("inbox").resolve(DataDirLock.FILE))), "uplink.file-mode");
            DataDirInUseException refused = assertThrows(DataDirInUseException.class,
                    () -> DirectoryLocks.take(sameInbox, "bundle"));
            assertTrue(refused.getMessage().startsWith("UPLINK_INBOX=" + dir.resolve("inbox") + ": in use by"),
                    refused.getMessage());
            // the refused one let go of the data dir it took first
            DataDirLock.take(dir.resolve("other-data"), "UPLINK_DATA_DIR", "test").close();
        }
        p.put("uplink.inbox", dir.resolve("other-data").resolve("inbox").toString());
        UplinkConfig inside = ConfigReader.read(key -> Optional.ofNullable(p.get(key)), false).orThrow();
        DirectoryLocks.take(inside, "bundle").close();
        assertFalse(Files.exists(dir.resolve("other-data").resolve("inbox").resolve(DataDirLock.FILE)));
    }

    @Test
    void aDirectoryThatCannotHoldTheLockFileIsNamed() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "");
        RuntimeException e = assertThrows(java.io.UncheckedIOException.class,
                () -> DataDirLock.take(file, "UPLINK_DATA_DIR=" + file, "bundle"));
        assertTrue(e.getMessage().startsWith("UPLINK_DATA_DIR=" + file + ": cannot take the lock "
                + file.resolve(DataDirLock.FILE)), e.getMessage());
    }
}
