package io.iotuplink.inputs.file;

import io.iotuplink.envelope.InvalidReadingException;
import io.iotuplink.envelope.PreparedReading;
import io.iotuplink.envelope.ReadingIntake;
import io.iotuplink.inputs.InputCounters;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an inbox file: {@code *.json} holds one record or an array of records, {@code *.ndjson} one record per
 * line. Good records go on to be published; bad ones (or the whole file, when it is not JSON) are written to
 * {@code {inbox}/.error/} with a {@code .reason} file beside them saying what was wrong and where.
 */
public final class InboxFiles {

    private static final Logger LOG = LoggerFactory.getLogger(InboxFiles.class);
    public static final String INPUT = "file";
    /** The file's counts, kept on the exchange until its good records are in the outbox. */
    private static final String COUNTS = "uplinkInboxFileCounts";

    private final ReadingIntake intake;
    private final InputCounters counters;

    public InboxFiles(ReadingIntake intake, InputCounters counters) {
        this.intake = intake;
        this.counters = counters;
    }

    /** How many records of one file became readings and how many were set aside. */
    private record Counts(int accepted, int refused) {
    }

    /** A record (or the whole file) that could not become a reading, and where it was. */
    record Rejected(String where, String text, String problem) {
    }

    /** Replaces the exchange's body (the file) with its good readings, after the bad ones are set aside. */
    public List<PreparedReading> readRecords(Exchange exchange) {
        Path file = exchange.getIn().getBody(java.io.File.class).toPath().toAbsolutePath().normalize();
        String name = file.getFileName().toString();
        List<PreparedReading> good = new ArrayList<>();
        List<Rejected> bad = new ArrayList<>();
        String text;
        try {
            text = utf8(Files.readAllBytes(file));
        } catch (CharacterCodingException e) {
            bad.add(new Rejected("the file", null, "not UTF-8 text"));
            setAside(file, bad, true);
            exchange.setProperty(COUNTS, new Counts(0, 1));
            return good;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        if (name.endsWith(".ndjson")) {
            String[] lines = text.split("\r?\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].isBlank()) {
                    continue;
                }
                try {
                    good.add(intake.record(lines[i]));
                } catch (InvalidReadingException e) {
                    bad.add(new Rejected("line " + (i + 1), lines[i], e.getMessage()));
                }
            }
        } else {
            try {
                good.addAll(intake.recordsEach(text, (index, json, problem) ->
                        bad.add(new Rejected("record " + index + " of the array", json, problem.getMessage()))));
            } catch (InvalidReadingException e) {
                bad.add(new Rejected("the file", null, e.getMessage()));
            }
        }
        exchange.setProperty(COUNTS, new Counts(good.size(), bad.size()));
        if (!bad.isEmpty()) {
            setAside(file, bad, bad.stream().anyMatch(r -> r.text() == null));
        }
        return good;
    }

    /**
     * Counts the file's records once its good ones are in the outbox: a file the outbox refused stays in the inbox
     * and is read again, and counting at the read would count it each time.
     */
    public void committed(Exchange exchange) {
        Counts counts = exchange.getProperty(COUNTS, Counts.class);
        if (counts != null) {
            counters.accepted(INPUT, counts.accepted());
            counters.refused(INPUT, counts.refused());
        }
    }

    /** Writes the rejected lines (or a copy of the whole file) and the reasons to {@code .error/}. */
    private void setAside(Path file, List<Rejected> bad, boolean wholeFile) {
        Path errors = file.resolveSibling(".error");
        try {
            Files.createDirectories(errors);
            Path target = unique(errors.resolve(file.getFileName().toString()));
            List<String> texts = bad.stream().map(Rejected::text).toList();
            if (wholeFile) {
                Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
            } else if (target.toString().endsWith(".ndjson")) {
                Files.write(target, texts, StandardCharsets.UTF_8);
            } else {
                Files.writeString(target, "[" + String.join(",\n", texts) + "]\n", StandardCharsets.UTF_8);
            }
            List<String> reasons = new ArrayList<>();
            reasons.add(file.getFileName() + " (" + Instant.now() + "): " + bad.size() + " bad record"
                    + (bad.size() == 1 ? "" : "s") + (wholeFile ? "; the whole file is kept here"
                    : "; the bad records are kept here, the good ones were accepted"));
            for (Rejected rejected : bad) {
                reasons.add(rejected.where() + ": " + rejected.problem());
            }
            Files.write(target.resolveSibling(target.getFileName() + ".reason"), reasons, StandardCharsets.UTF_8);
            LOG.warn("{}: {} bad record(s) set aside in {} ({})", file, bad.size(), target, bad.get(0).where()
                    + ": " + bad.get(0).problem());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set bad records of " + file + " aside in " + errors, e);
        }
    }

    private static Path unique(Path target) {
        if (!Files.exists(target)) {
            return target;
        }
        return target.resolveSibling(System.currentTimeMillis() + "-" + target.getFileName());
    }

    private static String utf8(byte[] bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    }
}
