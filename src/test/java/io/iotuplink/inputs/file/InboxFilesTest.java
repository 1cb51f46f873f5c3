package io.iotuplink.inputs.file;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.config.OutboxLimits;
import io.iotuplink.envelope.EnvelopeWriter;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.ReadingFactory;
import io.iotuplink.envelope.ReadingIntake;
import io.iotuplink.inputs.InputCounters;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.Synchronization;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading one inbox file as a stream, with the bounds that keep memory small whatever the file holds. */
class InboxFilesTest {

    private static final long MAX_FILE_SIZE = 64L << 20;

    @TempDir
    Path dir;
    private Path inbox;
    private DefaultCamelContext context;
    private InboxLeftovers leftovers;
    private InputCounters counters;
    private InboxFiles files;

    @BeforeEach
    void files() throws IOException {
        inbox = Files.createDirectories(dir.resolve("inbox"));
        context = new DefaultCamelContext();
        leftovers = new InboxLeftovers(context, inbox, dir.resolve("data/inbox-not-removed.txt"));
        leftovers.start();
        counters = new InputCounters();
        ObjectMapper mapper = new ObjectMapper();
        ReadingIntake intake = new ReadingIntake(mapper, new ReadingFactory(mapper, Clock.systemUTC()),
                new EnvelopeWriter(mapper, "bombercat-001"), "bombercat/telemetry", "bombercat/events");
        files = new InboxFiles(intake, counters, mapper, new OutboxLimits(100_000, 64L << 20, "reject"),
                MAX_FILE_SIZE, leftovers, new FilesAwaitingRoom(() -> 0, () -> 0, 100_000, 64L << 20, true,
                System::currentTimeMillis));
    }

    @AfterEach
    void stop() {
        leftovers.stop();
    }

    private Exchange exchangeFor(Path file) {
        Exchange exchange = new DefaultExchange(context);
        exchange.getIn().setBody(file.toFile());
        exchange.getIn().setHeader(Exchange.FILE_PATH, file.toString());
        return exchange;
    }

    private List<Path> errors() throws IOException {
        try (Stream<Path> listed = Files.list(inbox.resolve(".error"))) {
            return listed.sorted().toList();
        }
    }

    @Test
    void aFileOfHundredsOfMegabytesIsSetAsideUnread() throws IOException {
        Path file = inbox.resolve("huge.ndjson");
        try (RandomAccessFile sparse = new RandomAccessFile(file.toFile(), "rw")) {
            sparse.setLength(200L << 20);
        }
        Exchange exchange = exchangeFor(file);

        assertEquals(List.of(), files.readRecords(exchange));
        files.committed(exchange);

        assertFalse(Files.exists(file));
        assertEquals(200L << 20, Files.size(inbox.resolve(".error/huge.ndjson")));
        assertTrue(Files.readString(inbox.resolve(".error/huge.ndjson.reason"))
                .contains("the file: 209715200 bytes, more than uplink.inbox.max-file-size (67108864 bytes)"));
        assertEquals(1, counters.refused(InboxFiles.INPUT));
    }

    @Test
    void aLineTooLongToBeAReadingIsStreamedAsideAndTheOtherLinesGoOut() throws IOException {
        Path file = inbox.resolve("long.ndjson");
        byte[] longLine = new byte[3 * InboxFiles.MAX_LINE_BYTES];
        java.util.Arrays.fill(longLine, (byte) 'x');
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write("{\"before\": 1}\n".getBytes(StandardCharsets.UTF_8));
            out.write(longLine);
            out.write("\n{\"after\": 2}\n".getBytes(StandardCharsets.UTF_8));
        }
        Exchange exchange = exchangeFor(file);

        List<PreparedReading> good = files.readRecords(exchange);
        files.committed(exchange);

        assertEquals(2, good.size());
        assertTrue(new String(good.get(1).envelope(), StandardCharsets.UTF_8).endsWith("\"data\":{\"after\":2}}"));
        byte[] expected = new byte[longLine.length + 1];
        System.arraycopy(longLine, 0, expected, 0, longLine.length);
        expected[longLine.length] = '\n';
        assertArrayEquals(expected, Files.readAllBytes(inbox.resolve(".error/long.ndjson")));
        assertTrue(Files.readString(inbox.resolve(".error/long.ndjson.reason")).contains("line 2: longer than"));
        assertEquals(2, counters.accepted(InboxFiles.INPUT));
        assertEquals(1, counters.refused(InboxFiles.INPUT));
    }

    @Test
    void aLineThatIsNotUtf8IsSetAsideAsItWas() throws IOException {
        Path file = inbox.resolve("latin1.ndjson");
        byte[] bad = "{\"caf\u00e9\": 1}".getBytes(StandardCharsets.ISO_8859_1);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(bad);
            out.write("\n{\"ok\": 1}\n".getBytes(StandardCharsets.UTF_8));
        }
        Exchange exchange = exchangeFor(file);

        assertEquals(1, files.readRecords(exchange).size());
        files.committed(exchange);

        byte[] kept = Files.readAllBytes(inbox.resolve(".error/latin1.ndjson"));
        assertArrayEquals(bad, java.util.Arrays.copyOf(kept, bad.length));
        assertTrue(Files.readString(inbox.resolve(".error/latin1.ndjson.reason")).contains("line 1: not UTF-8 text"));
    }

    @Test
    void aJsonFileWithTrailingDataIsSetAsideWhole() throws IOException {
        Path file = Files.writeString(inbox.resolve("two.json"), "{\"two\": 1}{\"b\": 2}");
        Exchange exchange = exchangeFor(file);

        assertEquals(List.of(), files.readRecords(exchange));

        assertEquals("{\"two\": 1}{\"b\": 2}", Files.readString(inbox.resolve(".error/two.json")));
        assertTrue(Files.readString(inbox.resolve(".error/two.json.reason"))
                .contains("the file: malformed JSON: more than one JSON value"));
    }

    @Test
    void theBadRecordsOfAFileTheOutboxRefusedAreNotSetAsideUntilItGoesIn() throws IOException {
        Path file = Files.writeString(inbox.resolve("mixed.json"), "[{\"good\": 1}, 42, {\"good\": 2}]");
        Exchange refused = exchangeFor(file);
        assertEquals(2, files.readRecords(refused).size());
        List<Synchronization> completions = refused.getExchangeExtension().handoverCompletions();
        refused.setException(new IllegalStateException("the outbox is full"));
        completions.forEach(c -> c.onFailure(refused));

        assertEquals(List.of(), errors(), "nothing set aside while the file waits in the inbox");
        assertEquals(0, counters.refused(InboxFiles.INPUT));

        Exchange accepted = exchangeFor(file);
        assertEquals(2, files.readRecords(accepted).size());
        files.committed(accepted);

        assertEquals(List.of(inbox.resolve(".error/mixed.json"), inbox.resolve(".error/mixed.json.reason")),
                errors());
        assertEquals("[42]\n", Files.readString(inbox.resolve(".error/mixed.json")));
        assertTrue(Files.readString(inbox.resolve(".error/mixed.json.reason")).contains("record 1 of the array"));
        assertEquals(2, counters.accepted(InboxFiles.INPUT));
        assertEquals(1, counters.refused(InboxFiles.INPUT));
    }
}
