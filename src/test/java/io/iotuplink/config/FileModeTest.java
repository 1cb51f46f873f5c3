package io.iotuplink.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** uplink.file-mode: what the data directory's files and directories are made with, and what is refused. */
class FileModeTest {

    @TempDir
    Path dir;

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Test
    void byDefaultOnlyTheBundlesUserReadsAndANewDirectoryAndFileAreMadeSo() throws IOException {
        Path data = FileMode.PRIVATE.directory(dir.resolve("var").resolve("data"));
        Path file = FileMode.PRIVATE.file(data.resolve("outbox.db"));
        assertEquals("rwx------", mode(data));
        assertEquals("rw-------", mode(file));
        assertEquals("600", FileMode.PRIVATE.fileOctal());
        assertEquals("700", FileMode.PRIVATE.directoryOctal());
    }

    @Test
    void whatAnEarlierVersionLeftReadableIsTightened() throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path file = Files.writeString(data.resolve("outbox.db"), "kept");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        FileMode.PRIVATE.file(FileMode.PRIVATE.directory(data).resolve("outbox.db"));

        assertEquals("rwx------", mode(data));
        assertEquals("rw-------", mode(file));
        assertEquals("kept", Files.readString(file), "tightening leaves the content alone");
    }

    @Test
    void aGroupReadableModeGivesTheGroupTheDirectoryToo() throws IOException {
        FileMode mode = FileMode.parse("640");
        assertEquals("rwxr-x---", mode(mode.directory(dir.resolve("shared"))));
        assertEquals("rw-r-----", mode(mode.file(dir.resolve("shared").resolve("outbox.db"))));
        assertEquals("750", mode.directoryOctal());
    }

    @Test
    void aModeThatIsNotOctalOrLocksTheBundleOutOrMakesProgramsIsRefusedWithTheReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FileMode.parse("rw-------")).getMessage()
                .contains("octal"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FileMode.parse("400")).getMessage()
                .contains("read and write"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FileMode.parse("755")).getMessage()
                .contains("execute"));
        assertEquals("600", FileMode.parse("0600").fileOctal());
    }
}
