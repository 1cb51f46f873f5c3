package io.iotuplink.inputs.file;

import org.apache.camel.component.file.FileConstants;
import org.apache.camel.component.file.GenericFileOperationFailedException;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import io.iotuplink.config.FileMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.BasicFileAttributes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Files whose readings are stored but which Camel could not delete: remembered across restarts, so never ingested
 * twice. (InboxNotRemovedTest shows it with a real undeletable file where the file system allows one.)
 */
class InboxLeftoversTest {

    @TempDir
    Path dir;

    private static BasicFileAttributes now(Path file) throws IOException {
        return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    private InboxLeftovers started(Path inbox) {
        DefaultCamelContext context = new DefaultCamelContext();
        InboxLeftovers leftovers = new InboxLeftovers(context, inbox, dir.resolve("data/inbox-not-removed.txt"));
        leftovers.start();
        return leftovers;
    }

    /** What Camel's file consumer does when its delete after the commit fails. */
    private static void deleteFailed(InboxLeftovers leftovers, Path file) {
        DefaultExchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.getIn().setHeader(FileConstants.FILE_ABSOLUTE_PATH, file.toString());
        leftovers.handleException("Error during commit", exchange,
                new GenericFileOperationFailedException("Cannot delete file: " + file));
    }

    @Test
    void theFileOfRememberedNamesFollowsTheFileMode() throws IOException {
        Path inbox = Files.createDirectories(dir.resolve("inbox"));
        Path store = dir.resolve("data/inbox-not-removed.txt");
        InboxLeftovers leftovers = new InboxLeftovers(new DefaultCamelContext(), inbox, store, FileMode.parse("640"));
        leftovers.start();
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(store)),
                "made with the mode before anything is in it");

        Files.setPosixFilePermissions(store, PosixFilePermissions.fromString("rw-rw-rw-"));
        deleteFailed(leftovers, Files.writeString(inbox.resolve("stuck.json"), "{\"t\": 1}"));
        leftovers.stop();

        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(store)),
                "kept at the mode as it is written");
    }

    @Test
    void aFileCamelCouldNotDeleteIsRememberedAcrossARestart() throws IOException {
        Path inbox = Files.createDirectories(dir.resolve("inbox"));
        Path file = Files.writeString(inbox.resolve("ünïcode stuck.json"), "{\"t\": 1}");
        InboxLeftovers first = started(inbox);
        deleteFailed(first, file);
        assertTrue(first.contains(file, now(file)));
        assertEquals(1, first.stillInInbox());
        first.stop();

        InboxLeftovers restarted = started(inbox);
        assertTrue(restarted.contains(file, now(file)), "remembered on disk under the data dir");
        assertEquals(1, restarted.stillInInbox());
        restarted.stop();
    }

    @Test
    void aRememberedFileIsCountedOnlyWhileItIsStillThere() throws IOException {
        Path inbox = Files.createDirectories(dir.resolve("inbox"));
        Path file = Files.writeString(inbox.resolve("stuck.json"), "{\"t\": 1}");
        InboxLeftovers leftovers = started(inbox);
        assertTrue(leftovers.remember(file, "it cannot be removed"));
        assertFalse(leftovers.remember(file, "it cannot be removed"), "remembered (and warned about) once");

        Files.delete(file);
        assertEquals(0, leftovers.stillInInbox());
        leftovers.stop();
    }
}
