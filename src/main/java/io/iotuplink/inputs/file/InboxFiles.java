package io.iotuplink.inputs.file;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.iotuplink.config.OutboxLimits;
import io.iotuplink.envelope.InvalidReadingException;
import io.iotuplink.envelope.JsonSyntax;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.Reading;
import io.iotuplink.envelope.ReadingIntake;
import io.iotuplink.inputs.InputCounters;
import io.iotuplink.outbox.OutboxFullException;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;
import org.apache.camel.util.ObjectHelper;
import io.iotuplink.logging.RepeatedProblem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads an inbox file as a stream: {@code *.json} holds one record or an array of records, {@code *.ndjson} one
 * record per line. Good records become readings that go to the outbox in one transaction; bad ones are set aside in
 * {@code {inbox}/.error/} with a {@code .reason} file saying what was wrong and where. A file that is not JSON, larger
 * than {@code uplink.inbox.max-file-size} or with more readings than the outbox can ever hold is moved there whole.
 * A file the outbox has no room for now stays in the inbox untouched, and {@link FilesAwaitingRoom} keeps it unread
 * until there is room for all of it.
 */
public final class InboxFiles {

    private static final Logger LOG = LoggerFactory.getLogger(InboxFiles.class);
    private static final RepeatedProblem NOT_SET_ASIDE = RepeatedProblem.warn(LOG, "Bad records not set aside");
    public static final String INPUT = "file";
    /** A line longer than this cannot be a record: an envelope holds at most 128 KB. */
    static final int MAX_LINE_BYTES = 1 << 20;
    /** The file's counts and bad records, kept on the exchange until its good records are in the outbox. */
    private static final String COUNTS = "uplinkInboxFileCounts";
    private static final String BAD = "uplinkInboxFileBadRecords";
    private static final String READ = "uplinkInboxFileRead";

    private final ReadingIntake intake;
    private final InputCounters counters;
    private final ObjectMapper mapper;
    /** Reads one value where the parser stands; what follows it (the next element) is this class's to check. */
    private final ObjectReader elements;
    private final OutboxLimits outbox;
    private final long maxFileSize;
    private final InboxLeftovers leftovers;
    private final FilesAwaitingRoom awaiting;

    public InboxFiles(ReadingIntake intake, InputCounters counters, ObjectMapper mapper, OutboxLimits outbox,
            long maxFileSize, InboxLeftovers leftovers, FilesAwaitingRoom awaiting) {
        this.intake = intake;
        this.counters = counters;
        this.mapper = mapper;
        this.elements = mapper.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        this.outbox = outbox;
        this.maxFileSize = maxFileSize;
        this.leftovers = leftovers;
        this.awaiting = awaiting;
    }

    /** How many records of one file became readings and how many were set aside. */
    private record Counts(int accepted, int refused) {
    }

    /** The file as it was read, and what its good readings need in the outbox. */
    private record Read(Path file, BasicFileAttributes attributes, long readings, long bytes) {
    }

    /** The whole file is unusable: it goes to {@code .error/} whole. */
    private static final class WholeFileRefused extends Exception {
        WholeFileRefused(String problem) {
            super(problem, null, false, false);
        }
    }

    /** Replaces the exchange's body (the file) with its good readings, once the bad ones are written aside. */
    public List<PreparedReading> readRecords(Exchange exchange) {
        Path file = exchange.getIn().getBody(java.io.File.class).toPath().toAbsolutePath().normalize();
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        if (!attributes.isRegularFile()) {
            // replaced since the filter saw it: left alone, and the filter names it next time
            throw new IllegalStateException(file + " is no longer a regular file; it is left alone");
        }
        exchange.setProperty(READ, new Read(file, attributes, 0, 0));
        if (attributes.size() > maxFileSize) {
            return setAsideWhole(exchange, file, attributes.size() + " bytes, more than uplink.inbox.max-file-size ("
                    + maxFileSize + " bytes); split it into smaller files");
        }
        boolean lines = file.getFileName().toString().endsWith(".ndjson");
        BadRecords bad = new BadRecords(file, lines);
        Batch good = new Batch();
        try (InputStream in = new Bounded(Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS), maxFileSize)) {
            if (lines) {
                readLines(in, good, bad);
            } else {
                readJson(in, good, bad);
            }
        } catch (WholeFileRefused e) {
            bad.drop();
            return setAsideWhole(exchange, file, e.getMessage());
        } catch (IOException e) {
            bad.drop();
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (RuntimeException e) {
            bad.drop();
            throw e;
        }
        exchange.setProperty(COUNTS, new Counts(good.readings.size(), bad.count()));
        exchange.setProperty(BAD, bad);
        exchange.setProperty(READ, new Read(file, attributes, good.readings.size(), good.bytes));
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onFailure(Exchange failed) {
                bad.drop();
            }
        });
        return good.readings;
    }

    /**
     * Once the file's good records are in the outbox: counts them (a file the outbox refused stays in the inbox and
     * is read again, and counting at the read would count it each time) and puts its bad records in place.
     */
    public void committed(Exchange exchange) {
        Counts counts = exchange.getProperty(COUNTS, Counts.class);
        if (counts != null) {
            counters.accepted(INPUT, counts.accepted());
            counters.refused(INPUT, counts.refused());
        }
        Read read = exchange.getProperty(READ, Read.class);
        if (read != null) {
            awaiting.read(read.file(), read.attributes());
        }
        BadRecords bad = exchange.getProperty(BAD, BadRecords.class);
        if (bad != null) {
            try {
                bad.keep();
            } catch (IOException e) {
                // failing now would read the file again and store its good readings twice
                NOT_SET_ASIDE.report(e.getClass().getName(), "{}: its good readings are in the outbox, but its bad"
                        + " records could not be set aside: {}", exchange.getIn().getHeader(Exchange.FILE_PATH),
                        e.toString());
            }
        }
    }

    /**
     * The outbox has no room for the file's good readings (it is full, or cannot write): none of them was stored,
     * so the file stays in the inbox, unread until there is room for all of them; its bad records are not set aside
     * and nothing is counted (the exchange fails, and Camel leaves the file where it is).
     */
    public void waitForRoom(Exchange exchange) {
        Read read = exchange.getProperty(READ, Read.class);
        Exception caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        OutboxFullException full = caught == null ? null
                : ObjectHelper.getException(OutboxFullException.class, caught);
        if (read != null && full != null) {
            awaiting.refused(read.file(), read.attributes(), read.readings(), read.bytes(), full);
        }
    }

    /** NDJSON, line by line: a line is at most {@link #MAX_LINE_BYTES} in memory, a longer one is streamed aside. */
    private void readLines(InputStream in, Batch good, BadRecords bad) throws IOException, WholeFileRefused {
        LineReader lines = new LineReader(good, bad);
        byte[] buffer = new byte[64 * 1024];
        for (int n; (n = in.read(buffer)) != -1; ) {
            int start = 0;
            for (int i = 0; i < n; i++) {
                if (buffer[i] == '\n') {
                    lines.append(buffer, start, i - start);
                    lines.end();
                    start = i + 1;
                }
            }
            lines.append(buffer, start, n - start);
        }
        lines.end();
    }

    /** The line being read, and where it goes. */
    private final class LineReader {
        private final Batch good;
        private final BadRecords bad;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        private OutputStream tooLong;
        private int number = 1;

        LineReader(Batch good, BadRecords bad) {
            this.good = good;
            this.bad = bad;
        }

        void append(byte[] bytes, int from, int length) throws IOException {
            if (tooLong != null) {
                tooLong.write(bytes, from, length);
                return;
            }
            line.write(bytes, from, length);
            if (line.size() > MAX_LINE_BYTES) {
                tooLong = bad.begin();
                line.writeTo(tooLong);
                line.reset();
            }
        }

        void end() throws WholeFileRefused {
            String where = "line " + number++;
            if (tooLong != null) {
                tooLong = null;
                bad.end(where, "longer than " + MAX_LINE_BYTES + " bytes; a reading's envelope holds at most 128 KB");
                return;
            }
            byte[] bytes = line.toByteArray();
            line.reset();
            int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
            String text;
            try {
                text = utf8.decode(ByteBuffer.wrap(bytes, 0, length)).toString();
            } catch (CharacterCodingException e) {
                bad.add(where, Arrays.copyOf(bytes, length), "not UTF-8 text");
                return;
            }
            if (text.isBlank()) {
                return;
            }
            try {
                good.add(intake.record(text));
            } catch (InvalidReadingException e) {
                bad.add(where, Arrays.copyOf(bytes, length), e.getMessage());
            }
        }
    }

    /** One JSON value: a record, or an array of records read one element at a time. */
    private void readJson(InputStream in, Batch good, BadRecords bad) throws IOException, WholeFileRefused {
        try (JsonParser parser = mapper.getFactory().createParser(in)) {
            JsonToken token = parser.nextToken();
            if (token == null) {
                throw new WholeFileRefused("empty; expected a JSON object or an array of them");
            }
            if (token == JsonToken.START_ARRAY) {
                for (int i = 0; parser.nextToken() != JsonToken.END_ARRAY; i++) {
                    JsonNode record = elements.readTree(parser);
                    String where = "record " + i + " of the array";
                    try {
                        good.add(intake.record(record, where));
                    } catch (InvalidReadingException e) {
                        bad.add(where, mapper.writeValueAsBytes(record), e.getMessage());
                    }
                }
            } else {
                try {
                    good.add(intake.record(elements.readTree(parser), "the file"));
                } catch (InvalidReadingException e) {
                    throw new WholeFileRefused(e.getMessage());
                }
            }
            if (parser.nextToken() != null) {
                throw new WholeFileRefused("malformed JSON: more than one JSON value (at line "
                        + parser.currentLocation().getLineNr() + ", column "
                        + parser.currentLocation().getColumnNr() + ")");
            }
        } catch (JsonProcessingException e) {
            throw new WholeFileRefused("malformed JSON: " + JsonSyntax.describeWithLocation(e));
        }
    }

    /** Moves the whole file to {@code .error/}: nothing of it goes out, and it is counted as one refused record. */
    private List<PreparedReading> setAsideWhole(Exchange exchange, Path file, String problem) {
        if (!BadRecords.setAsideWhole(file, "the file", problem)) {
            leftovers.remember(file, "it cannot be moved to " + BadRecords.errorDir(file) + " (" + problem + ")");
        }
        exchange.setProperty(COUNTS, new Counts(0, 1));
        return List.of();
    }

    /** The good readings of a file, bounded by what the outbox can ever hold in one transaction. */
    private final class Batch {
        private final List<PreparedReading> readings = new ArrayList<>();
        private long bytes;

        void add(PreparedReading reading) throws WholeFileRefused {
            bytes += reading.envelope().length;
            if (readings.size() + 1 > outbox.maxReadings() || bytes > outbox.maxBytes()) {
                throw new WholeFileRefused("more readings than the outbox can ever hold (at most "
                        + outbox.maxReadings() + " readings and " + outbox.maxBytes() + " bytes:"
                        + " uplink.outbox.max-readings and max-bytes); split it into smaller files");
            }
            // only the envelope is stored: the parsed record would cost several times its size while the file waits
            Reading r = reading.reading();
            readings.add(new PreparedReading(new Reading(r.kind(), r.messageId(), r.acceptedAtMillis(), r.event(),
                    null), reading.envelope(), reading.topic()));
        }
    }

    /** Reads at most {@code limit} bytes: a file that grows while it is read is refused, not read for ever. */
    private static final class Bounded extends FilterInputStream {
        private long left;

        Bounded(InputStream in, long limit) {
            super(in);
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, (int) Math.min(len, left + 1));
            if (n > 0 && (left -= n) < 0) {
                throw new IOException("the file grew past uplink.inbox.max-file-size while it was read");
            }
            return n;
        }
    }
}
