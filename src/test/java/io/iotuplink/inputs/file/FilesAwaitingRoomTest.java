package io.iotuplink.inputs.file;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.iotuplink.outbox.OutboxFullException;
import io.iotuplink.outbox.OutboxStorageException;
import io.iotuplink.support.SimulatedClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Inbox files wait, unread, while the outbox has no room for them, and the log says so once, not at every poll. */
class FilesAwaitingRoomTest {

    private static final long MAX_READINGS = 10;
    private static final long MAX_BYTES = 10_000;

    @TempDir
    Path inbox;
    private final AtomicLong depth = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final SimulatedClock clock = new SimulatedClock(Instant.ofEpochMilli(1_000_000));
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(FilesAwaitingRoom.class);

    @BeforeEach
    void captureTheLog() {
        logged.start();
        logger.addAppender(logged);
    }

    @AfterEach
    void releaseTheLog() {
        logger.detachAppender(logged);
    }

    private FilesAwaitingRoom rejecting() {
        return new FilesAwaitingRoom(depth::get, bytes::get, MAX_READINGS, MAX_BYTES, true, clock::millis);
    }

    private Path file(String name) throws IOException {
        return Files.writeString(inbox.resolve(name), "{\"t\": 1}");
    }

    private static BasicFileAttributes attributes(Path file) throws IOException {
        return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    private List<String> lines(Level level) {
        return logged.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    @Test
    void whileTheOutboxIsFullNoFileIsReadAndOneWarningSaysSo() throws IOException {
        FilesAwaitingRoom awaiting = rejecting();
        Path a = file("a.json");
        Path b = file("b.json");
        depth.set(MAX_READINGS);

        for (int poll = 0; poll < 5; poll++) {
            assertFalse(awaiting.mayRead(a, attributes(a)));
            assertFalse(awaiting.mayRead(b, attributes(b)));
            clock.advance(Duration.ofMillis(500));
        }
        assertEquals(2, awaiting.count());
        List<String> warnings = lines(Level.WARN);
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains(a + " waits in the inbox, unread: the outbox is full (10 of 10 readings"),
                warnings.get(0));

        depth.set(MAX_READINGS - 1);
        assertTrue(awaiting.mayRead(a, attributes(a)), "room for one reading: the file is read to see what it holds");
        awaiting.read(a, attributes(a));
        assertTrue(lines(Level.INFO).isEmpty(), "b still waits");
        assertTrue(awaiting.mayRead(b, attributes(b)));
        awaiting.read(b, attributes(b));
        assertEquals(0, awaiting.count());
        assertEquals(1, lines(Level.INFO).size(), "one line when no file waits any more");
        assertEquals(1, lines(Level.WARN).size());
    }

    @Test
    void aRefusedFileWaitsUntilTheOutboxHasRoomForAllOfItsReadings() throws IOException {
        FilesAwaitingRoom awaiting = rejecting();
        Path file = file("big.ndjson");
        depth.set(MAX_READINGS - 2);
        assertTrue(awaiting.mayRead(file, attributes(file)));
        awaiting.refused(file, attributes(file), 3, 300, new OutboxFullException("the outbox is full"));
        assertTrue(lines(Level.WARN).get(0).contains("the outbox has room for 2 more readings, the file holds 3"),
                lines(Level.WARN).toString());

        for (int poll = 0; poll < 5; poll++) {
            clock.advance(Duration.ofMillis(500));
            assertFalse(awaiting.mayRead(file, attributes(file)), "room for 2 of its 3 readings: it waits whole");
        }
        Path small = file("small.json");
        assertTrue(awaiting.mayRead(small, attributes(small)), "a file that may fit is read meanwhile");

        depth.set(MAX_READINGS - 3);
        assertTrue(awaiting.mayRead(file, attributes(file)));
        awaiting.read(file, attributes(file));
        assertEquals(1, lines(Level.WARN).size());
        assertEquals(1, lines(Level.INFO).size());
    }

    @Test
    void aFileRefusedForItsBytesWaitsForThem() throws IOException {
        FilesAwaitingRoom awaiting = rejecting();
        Path file = file("bulky.json");
        bytes.set(MAX_BYTES - 100);
        awaiting.refused(file, attributes(file), 1, 500, new OutboxFullException("the outbox is full"));
        clock.advance(Duration.ofMillis(FilesAwaitingRoom.RETRY_MILLIS));

        assertFalse(awaiting.mayRead(file, attributes(file)));
        bytes.set(MAX_BYTES - 500);
        assertTrue(awaiting.mayRead(file, attributes(file)));
    }

    @Test
    void aRefusedFileIsNotReadAgainAtOnceEvenIfTheDepthSaysItFits() throws IOException {
        FilesAwaitingRoom awaiting = rejecting();
        Path file = file("raced.json");
        awaiting.refused(file, attributes(file), 1, 10, new OutboxFullException("taken by an HTTP request"));

        assertFalse(awaiting.mayRead(file, attributes(file)));
        clock.advance(Duration.ofMillis(FilesAwaitingRoom.RETRY_MILLIS));
        assertTrue(awaiting.mayRead(file, attributes(file)));
    }

    @Test
    void whenTheOutboxCannotWriteEveryFileWaitsAndIsTriedAgainLater() throws IOException {
        FilesAwaitingRoom awaiting = rejecting();
        Path file = file("disk-full.json");
        Path other = file("other.json");
        awaiting.refused(file, attributes(file), 1, 10, new OutboxStorageException("the disk is full", inbox, true,
                0, 4096, null));

        clock.advance(Duration.ofMillis(FilesAwaitingRoom.STORAGE_RETRY_MILLIS - 1));
        assertFalse(awaiting.mayRead(file, attributes(file)));
        assertFalse(awaiting.mayRead(other, attributes(other)), "no file is read while the outbox cannot write");
        clock.advance(Duration.ofMillis(1));
        assertTrue(awaiting.mayRead(file, attributes(file)));
        assertTrue(awaiting.mayRead(other, attributes(other)));
        assertEquals(1, lines(Level.WARN).size(), lines(Level.WARN).toString());
        assertTrue(lines(Level.WARN).get(0).contains("the disk is full. Nothing of it is stored, set aside or counted"
                + " until the outbox can write again"), lines(Level.WARN).get(0));
    }

    @Test
    void aChangedFileIsANewFile() throws IOException {
        FilesAwaitingRoom awaiting = rejecting();
        Path file = file("rewritten.ndjson");
        depth.set(MAX_READINGS - 1);
        awaiting.refused(file, attributes(file), 5, 50, new OutboxFullException("the outbox is full"));
        clock.advance(Duration.ofMillis(FilesAwaitingRoom.RETRY_MILLIS));
        assertFalse(awaiting.mayRead(file, attributes(file)));

        Files.writeString(file, "{\"t\": 2}");
        Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 5_000));
        assertTrue(awaiting.mayRead(file, attributes(file)), "what it holds now is not known: it is read");
    }

    @Test
    void aWaitingFileRemovedFromTheInboxIsForgotten() throws IOException {
        FilesAwaitingRoom awaiting = rejecting();
        Path file = file("removed.json");
        depth.set(MAX_READINGS);
        assertFalse(awaiting.mayRead(file, attributes(file)));
        Files.delete(file);

        clock.advance(Duration.ofMillis(FilesAwaitingRoom.FORGET_MILLIS + 1));
        Path next = file("next.json");
        depth.set(0);
        assertTrue(awaiting.mayRead(next, attributes(next)));
        assertEquals(0, awaiting.count());
        assertEquals(1, lines(Level.INFO).size(), "no file waits any more");
    }

    @Test
    void anOutboxThatDropsItsOldestNeverKeepsAFileWaiting() throws IOException {
        FilesAwaitingRoom awaiting = new FilesAwaitingRoom(depth::get, bytes::get, MAX_READINGS, MAX_BYTES, false,
                clock::millis);
        Path file = file("any.json");
        depth.set(MAX_READINGS);
        bytes.set(MAX_BYTES);

        assertTrue(awaiting.mayRead(file, attributes(file)));
        assertTrue(logged.list.isEmpty());
    }
}
