package io.iotuplink.datadir;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
            assertTrue(Files.readString(data.resolve(DataDirLock.FILE)).startsWith("PID " + pid + " (bundle, started "));
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
    void aDirectoryThatCannotHoldTheLockFileIsNamed() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "");
        RuntimeException e = assertThrows(java.io.UncheckedIOException.class,
                () -> DataDirLock.take(file, "UPLINK_DATA_DIR=" + file, "bundle"));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }
}
