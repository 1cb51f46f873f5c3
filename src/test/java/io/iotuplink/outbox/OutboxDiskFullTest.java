package io.iotuplink.outbox;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.Reading;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The outbox on a real file system that fills up (a 2 MB tmpfs, so the test needs root, as the tests get in CI):
 * SQLite's SQLITE_FULL becomes a refusal naming the data dir and the space, and writing works again once there is
 * room.
 */
class OutboxDiskFullTest {

    @TempDir
    Path dir;

    private Path disk;
    private boolean mounted;
    private OutboxStore store;

    @BeforeEach
    void mountSmallFileSystem() throws Exception {
        disk = Files.createDirectories(dir.resolve("small-disk"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", disk.toString())
                .redirectErrorStream(true).start();
        mounted = mount.waitFor(10, TimeUnit.SECONDS) && mount.exitValue() == 0;
        Assumptions.assumeTrue(mounted, () -> "cannot mount a tmpfs here (not root?): " + output(mount));
    }

    @AfterEach
    void unmount() throws Exception {
        if (store != null) {
            store.close();
        }
        if (mounted) {
            new ProcessBuilder("umount", disk.toString()).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String output(Process process) {
        try {
            return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static List<PreparedReading> readings(int count, String prefix) {
        List<PreparedReading> batch = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String id = prefix + "-" + i;
            batch.add(new PreparedReading(new Reading(Reading.Kind.TELEMETRY, id, 1_000L, null,
                    JsonNodeFactory.instance.objectNode()),
                    ("{\"id\":\"" + id + "\",\"pad\":\"" + "x".repeat(200) + "\"}").getBytes(StandardCharsets.UTF_8),
                    "bombercat/telemetry"));
        }
        return batch;
    }

    /** Writes a file until the file system has no room left; deleting it gives the room back. */
    private Path fillUp() throws IOException {
        Path filler = disk.resolve("filler");
        byte[] block = new byte[4096];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
                out.flush();
            }
        } catch (IOException noSpaceLeft) {
            // that was the point
        }
        assertTrue(Files.getFileStore(disk).getUsableSpace() < 4096, "the file system is full");
        return filler;
    }

    @Test
    void anAppendOnAFullDiskIsRefusedNamingTheDataDirAndTheSpaceAndWorksOnceThereIsRoom() throws IOException {
        store = OutboxStore.open(disk.resolve("outbox.db"), 100_000, 1L << 30, WhenFull.REJECT);
        store.append(readings(10, "before"));
        Path filler = fillUp();

        OutboxStorageException refused = assertThrows(OutboxStorageException.class,
                () -> store.append(readings(10, "during")));

        assertTrue(refused.full(), refused.getMessage());
        assertEquals(disk.toAbsolutePath(), refused.dataDir());
        assertTrue(refused.neededBytes() > 0);
        assertTrue(refused.getMessage().contains("the file system of " + disk.toAbsolutePath() + " is full"),
                refused.getMessage());
        assertTrue(refused.getMessage().contains("SQLITE_FULL"), refused.getMessage());
        assertEquals("full", store.storage().state());
        assertEquals(10, store.depth(), "what was stored before is kept");

        Files.delete(filler);
        store.append(readings(10, "after"));

        assertTrue(store.storage().ok(), String.valueOf(store.storage()));
        assertEquals(20, store.depth());
        assertEquals(20, store.after(Lane.BULK, 0, 100).size());
    }

    @Test
    void aRemovalOnAFullDiskFailsLeavingEverythingStoredAndGoesThroughOnceThereIsRoom() throws IOException {
        store = OutboxStore.open(disk.resolve("outbox.db"), 100_000, 1L << 30, WhenFull.REJECT);
        store.append(readings(50, "stored"));
        List<StoredReading> published = store.after(Lane.BULK, 0, 100);
        Path filler = fillUp();

        OutboxStorageException refused = assertThrows(OutboxStorageException.class,
                () -> store.removeAll(published));

        assertTrue(refused.full(), refused.getMessage());
        assertFalse(store.storage().ok());
        assertEquals(50, store.depth(), "nothing was removed");
        assertEquals(50, store.after(Lane.BULK, 0, 100).size());

        Files.delete(filler);
        store.removeAll(published);

        assertEquals(0, store.depth());
        assertTrue(store.after(Lane.BULK, 0, 100).isEmpty());
        assertTrue(store.storage().ok());
    }
}
