package io.iotuplink.deadletter;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.iotuplink.config.FileMode;
import io.iotuplink.outbox.Lane;
import io.iotuplink.outbox.StoredReading;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One letter per reading, named by its message_id; capped in readings and bytes, oldest first, one WARN a burst. */
class DeadLettersTest {

    private static final Instant FAILED = Instant.parse("2026-12-08T01:00:00Z");

    @TempDir
    Path dir;
    private final AtomicLong nanos = new AtomicLong();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(DeadLetters.class);

    @BeforeEach
    void listen() {
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void stopListening() {
        logger.detachAppender(log);
    }

    static StoredReading reading(int n, Lane lane) {
        byte[] envelope = ("{\"timestamp\": " + n + ", \"data\": {\"n\": " + n + "}}").getBytes(StandardCharsets.UTF_8);
        return new StoredReading(n, "id-" + n, lane == Lane.PRIORITY ? "event" : "telemetry",
                "bombercat/" + (lane == Lane.PRIORITY ? "events" : "telemetry"), 1_700_000_000_000L + n, envelope,
                lane, 0);
    }

    private DeadLetters letters(long maxReadings, long maxBytes) {
        return new DeadLetters(dir.resolve("dead-letter"), FileMode.PRIVATE, maxReadings, maxBytes, nanos::get);
    }

    private List<StoredReading> readings(int from, int to) {
        return IntStream.range(from, to).mapToObj(n -> reading(n, Lane.BULK)).toList();
    }

    @Test
    void aBatchLeavesOneLetterPerReadingWithItsOwnEnvelopeAndWhatAReplayNeeds() throws Exception {
        DeadLetters letters = letters(100, 1 << 20);
        List<StoredReading> batch = List.of(reading(1, Lane.BULK), reading(2, Lane.PRIORITY));
        letters.write(batch, "0x87", "PUBACK 0x87 not authorized\nfor bombercat/telemetry", 1, "batch-9", FAILED);

        assertEquals(2, letters.count());
        for (StoredReading reading : batch) {
            assertArrayEquals(reading.envelope(), Files.readAllBytes(letters.dir().resolve(reading.messageId()
                    + ".json")));
            DeadLetter letter = letters.find(reading.messageId()).orElseThrow();
            assertEquals(new DeadLetter(reading.messageId(), reading.kind(), reading.topic(),
                    reading.acceptedAtMillis(), reading.lane().label(), FAILED, 1, "0x87",
                    "PUBACK 0x87 not authorized for bombercat/telemetry", "batch-9"), letter);
            assertTrue(letter.replayable());
        }
        String reason = Files.readString(letters.dir().resolve("id-1.reason"));
        assertTrue(reason.startsWith("message_id: id-1\nkind: telemetry\ntopic: bombercat/telemetry\nlane: bulk\n"
                + "accepted_at: 2023-11-14T22:13:20.001Z\n"), reason);
        long onDisk = Files.size(letters.dir().resolve("id-1.json")) + Files.size(letters.dir().resolve("id-1.reason"))
                + Files.size(letters.dir().resolve("id-2.json")) + Files.size(letters.dir().resolve("id-2.reason"));
        assertEquals(onDisk, letters.bytes());
    }

    @Test
    void pastTheReadingsCapTheOldestGoFirstCountedWithOneWarnPerBurst() throws Exception {
        DeadLetters letters = letters(3, 1 << 20);
        letters.write(readings(0, 3), "0x87", "refused", 1, null, FAILED);
        assertEquals(0, letters.removed());

        letters.write(readings(3, 5), "0x87", "refused", 1, null, FAILED);
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(30));
        letters.write(readings(5, 6), "0x87", "refused", 1, null, FAILED);

        assertEquals(List.of("id-3", "id-4", "id-5"), letters.list().stream().map(DeadLetter::messageId).toList());
        assertEquals(3, letters.removed());
        assertFalse(Files.exists(letters.dir().resolve("id-0.json")));
        assertFalse(Files.exists(letters.dir().resolve("id-0.reason")));
        assertEquals(1, log.list.stream().filter(e -> e.getLevel() == Level.WARN).count(), "one WARN a burst");

        nanos.addAndGet(TimeUnit.MINUTES.toNanos(2));
        letters.write(readings(6, 7), "0x87", "refused", 1, null, FAILED);
        List<ILoggingEvent> warns = log.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
        assertEquals(2, warns.size(), "a burst a minute later WARNs again");
        assertTrue(warns.get(1).getFormattedMessage().contains("UPLINK_DEAD_LETTER_MAX_READINGS=3"),
                warns.get(1).getFormattedMessage());
        assertTrue(warns.get(1).getFormattedMessage().contains("3 in the burst before"),
                warns.get(1).getFormattedMessage());
    }

    @Test
    void aDirectoryLeftFullerThanTheCapIsCutToItsNewestWhenRead() throws Exception {
        letters(1_000, 1 << 20).write(readings(0, 5), "0x87", "refused", 1, null, FAILED);
        for (int n = 0; n < 5; n++) {
            Files.setLastModifiedTime(dir.resolve("dead-letter").resolve("id-" + n + ".reason"),
                    java.nio.file.attribute.FileTime.fromMillis(1_000_000L * (5 - n)));
        }

        DeadLetters capped = letters(2, 1 << 20);

        assertEquals(List.of("id-1", "id-0"), capped.list().stream().map(DeadLetter::messageId).toList(),
                "the two newest, oldest first");
        assertEquals(3, capped.removed());
        assertFalse(Files.exists(dir.resolve("dead-letter").resolve("id-4.json")));
        assertEquals(1, log.list.stream().filter(e -> e.getLevel() == Level.WARN).count());
    }

    @Test
    void pastTheBytesCapTheOldestGoFirstAndADirectoryReadAgainKeepsItsOrder() throws Exception {
        DeadLetters letters = letters(1_000, 1 << 20);
        letters.write(readings(0, 4), "0x87", "refused", 1, null, FAILED);
        long perLetter = letters.bytes() / 4;
        // files written within one clock tick: their times are set apart so the order on disk is the writes'
        for (int n = 0; n < 4; n++) {
            Files.setLastModifiedTime(letters.dir().resolve("id-" + n + ".reason"),
                    java.nio.file.attribute.FileTime.fromMillis(1_000_000L * (n + 1)));
        }

        DeadLetters reopened = letters(1_000, perLetter * 2 + perLetter / 2);
        assertEquals(4, reopened.count());
        assertEquals(2, reopened.cap());
        assertEquals(List.of("id-2", "id-3"), reopened.list().stream().map(DeadLetter::messageId).toList());
        assertTrue(reopened.bytes() <= perLetter * 2 + perLetter / 2);
        assertTrue(reopened.remove("id-2"));
        assertEquals(1, reopened.count());
    }
}
