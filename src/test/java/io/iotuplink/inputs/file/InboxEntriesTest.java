package io.iotuplink.inputs.file;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.apache.camel.component.file.FileConsumer;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The inbox's filter: regular files only, every other entry named once however often it is polled. */
class InboxEntriesTest {

    @TempDir
    Path dir;
    private Path inbox;
    private InboxLeftovers leftovers;
    private InboxEntries entries;
    /** An outbox with room for anything. */
    private final FilesAwaitingRoom roomy = new FilesAwaitingRoom(() -> 0, () -> 0, 100, 1 << 20, true,
            System::currentTimeMillis);
    /** Monotonic time, apart from the wall clock: it moves only when the test says. */
    private final AtomicLong nanos = new AtomicLong();
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    /** Five seconds from now: every file written by the test has settled. */
    private Clock clock = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(5));

    @BeforeEach
    void entries() throws Exception {
        inbox = Files.createDirectories(dir.resolve("inbox"));
        leftovers = new InboxLeftovers(new DefaultCamelContext(), inbox, dir.resolve("data/inbox-not-removed.txt"));
        leftovers.start();
        entries = new InboxEntries(leftovers, roomy, Duration.ofSeconds(2), clock, nanos::get);
        logged.start();
        ((Logger) LoggerFactory.getLogger(InboxEntries.class)).addAppender(logged);
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger(InboxEntries.class)).detachAppender(logged);
        leftovers.stop();
    }

    private boolean polled(Path entry) {
        return entries.accept(FileConsumer.asGenericFile(inbox.toString(), entry.toFile(), null, false));
    }

    private long warningsNaming(Path entry) {
        return logged.list.stream().filter(e -> e.getFormattedMessage().contains(entry.toString())).count();
    }

    @Test
    void aRegularFileIsAcceptedWithoutAWarning() throws IOException {
        Path file = Files.writeString(inbox.resolve("reading.json"), "{\"t\": 1}");

        assertTrue(polled(file));
        assertEquals(0, logged.list.size());
    }

    @Test
    void aFileChangedWithinTheSettleTimeIsPassedOverUntilALaterPoll() throws IOException {
        Path file = Files.writeString(inbox.resolve("fresh.json"), "{\"t\": 1}");
        long written = Files.getLastModifiedTime(file).toMillis();

        clock = Clock.fixed(Instant.ofEpochMilli(written + 1_000), ZoneOffset.UTC);
        entries = new InboxEntries(leftovers, roomy, Duration.ofSeconds(2), clock, nanos::get);
        assertFalse(polled(file), "written a second ago");
        clock = Clock.fixed(Instant.ofEpochMilli(written + 2_000), ZoneOffset.UTC);
        entries = new InboxEntries(leftovers, roomy, Duration.ofSeconds(2), clock, nanos::get);
        assertTrue(polled(file), "settled for two seconds");
        assertEquals(0, logged.list.size());
    }

    @Test
    void aFileWrittenBeforeTheWallClockWentBackADaySettlesAfterTheSettleTimeOfMonotonicTime() throws IOException {
        Path file = Files.writeString(inbox.resolve("before-the-step.json"), "{\"t\": 1}");
        long written = Files.getLastModifiedTime(file).toMillis();

        clock = Clock.fixed(Instant.ofEpochMilli(written - Duration.ofDays(1).toMillis()), ZoneOffset.UTC);
        entries = new InboxEntries(leftovers, roomy, Duration.ofSeconds(2), clock, nanos::get);
        assertFalse(polled(file), "first seen now");
        nanos.addAndGet(Duration.ofMillis(1_999).toNanos());
        assertFalse(polled(file), "seen unchanged for less than the settle time");
        nanos.addAndGet(Duration.ofMillis(1).toNanos());
        assertTrue(polled(file), "unchanged for the settle time, though its time is a day ahead of the clock");
    }

    @Test
    void aFileThatChangesStartsItsSettleTimeAfreshWhateverTheWallClockSays() throws IOException {
        Path file = Files.writeString(inbox.resolve("growing.ndjson"), "{\"t\": 1}\n");
        long written = Files.getLastModifiedTime(file).toMillis();
        clock = Clock.fixed(Instant.ofEpochMilli(written - Duration.ofDays(1).toMillis()), ZoneOffset.UTC);
        entries = new InboxEntries(leftovers, roomy, Duration.ofSeconds(2), clock, nanos::get);

        assertFalse(polled(file));
        nanos.addAndGet(Duration.ofMillis(1_500).toNanos());
        Files.writeString(file, "{\"t\": 2}\n", java.nio.file.StandardOpenOption.APPEND);
        assertFalse(polled(file), "it changed");
        nanos.addAndGet(Duration.ofMillis(1_500).toNanos());
        assertFalse(polled(file), "unchanged for 1.5 s only");
        nanos.addAndGet(Duration.ofMillis(500).toNanos());
        assertTrue(polled(file));
    }

    @Test
    void aSymbolicLinkToAJsonFileIsSkippedWithOneWarningHoweverOftenItIsPolled() throws IOException {
        Path target = Files.writeString(dir.resolve("elsewhere.json"), "{\"secret\": 1}");
        Path link = Files.createSymbolicLink(inbox.resolve("shadow.json"), target);

        for (int poll = 0; poll < 5; poll++) {
            assertFalse(polled(link));
        }
        assertEquals(1, warningsNaming(link));
        assertTrue(logged.list.get(0).getFormattedMessage().contains("is a symbolic link"));
        assertTrue(Files.isSymbolicLink(link), "the link is left where it is");
    }

    @Test
    void aLinkToDevZeroIsSkipped() throws IOException {
        Path link = Files.createSymbolicLink(inbox.resolve("zero.ndjson"), Path.of("/dev/zero"));

        assertFalse(polled(link));
        assertEquals(1, warningsNaming(link));
    }

    @Test
    void aFifoIsSkippedWithOneWarning() throws Exception {
        Path fifo = inbox.resolve("fifo.json");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());

        assertFalse(polled(fifo));
        assertFalse(polled(fifo));
        assertEquals(1, warningsNaming(fifo));
        assertTrue(logged.list.get(0).getFormattedMessage().contains("not a regular file"));
    }

    @Test
    void aDirectoryIsSkippedWithOneWarning() throws IOException {
        Path directory = Files.createDirectories(inbox.resolve("folder.json"));

        assertFalse(polled(directory));
        assertFalse(polled(directory));
        assertEquals(1, warningsNaming(directory));
        assertTrue(logged.list.get(0).getFormattedMessage().contains("is a directory"));
    }

    @Test
    void aFileReadBeforeButNotRemovedIsSkipped() throws IOException {
        Path file = Files.writeString(inbox.resolve("stuck.json"), "{\"t\": 1}");
        leftovers.remember(file, "it cannot be removed");

        assertFalse(polled(file));
        Files.writeString(file, "{\"t\": 2, \"changed\": true}");
        assertTrue(polled(file), "a file changed since is another file");
    }
}
