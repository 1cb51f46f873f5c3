package io.iotuplink.inputs.file;

import io.iotuplink.logging.RepeatedProblem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;

/**
 * The bad records of one inbox file, written to hidden files in {@code {inbox}/.error/} as they are found (memory
 * stays bounded whatever the file holds), and put in place beside a {@code .reason} file once the file's good
 * readings are in the outbox, or dropped when they are not (the file is read again later).
 */
final class BadRecords {

    private static final Logger LOG = LoggerFactory.getLogger(BadRecords.class);
    /** A stream of bad files: the first of each kind in detail, then a summary a minute (each has its .reason). */
    private static final RepeatedProblem SET_ASIDE = RepeatedProblem.warn(LOG, "Inbox files set aside");

    private final Path file;
    private final boolean lines;
    private final Path errors;
    private final String hidden;
    private OutputStream records;
    private BufferedWriter reasons;
    private int count;
    private String first;

    /** For {@code file}; {@code lines}: one record per line (NDJSON), else the records make a JSON array. */
    BadRecords(Path file, boolean lines) {
        this.file = file;
        this.lines = lines;
        this.errors = errorDir(file);
        this.hidden = "." + file.getFileName() + "." + Long.toHexString(System.nanoTime());
    }

    static Path errorDir(Path file) {
        return file.resolveSibling(".error");
    }

    int count() {
        return count;
    }

    /** A record that could not become a reading: its text as it was in the file, and what is wrong with it. */
    void add(String where, byte[] text, String problem) {
        try (OutputStream out = begin()) {
            out.write(text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write bad records of " + file + " to " + errors, e);
        }
        end(where, problem);
    }

    /** Starts a bad record whose text is then written to the stream (closing it is harmless); {@link #end} ends it. */
    OutputStream begin() throws IOException {
        if (records == null) {
            Files.createDirectories(errors);
            records = new BufferedOutputStream(Files.newOutputStream(errors.resolve(hidden)));
            reasons = Files.newBufferedWriter(errors.resolve(hidden + ".reason"), StandardCharsets.UTF_8);
            if (!lines) {
                records.write('[');
            }
        } else if (!lines) {
            records.write(",\n".getBytes(StandardCharsets.US_ASCII));
        }
        return new java.io.FilterOutputStream(records) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() {
                // the records file stays open for the next one
            }
        };
    }

    /** Ends the record begun last: {@code where} it was in the file and what is wrong with it. */
    void end(String where, String problem) {
        try {
            if (lines) {
                records.write('\n');
            }
            reasons.write(where + ": " + problem);
            reasons.newLine();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write bad records of " + file + " to " + errors, e);
        }
        if (count++ == 0) {
            first = where + ": " + problem;
        }
    }

    /** The file's good readings are in the outbox: its bad records take their place in {@code .error/}. */
    void keep() throws IOException {
        if (records == null) {
            return;
        }
        if (!lines) {
            records.write("]\n".getBytes(StandardCharsets.US_ASCII));
        }
        records.close();
        reasons.close();
        Path target = unique(errors.resolve(file.getFileName().toString()));
        Path reason = target.resolveSibling(target.getFileName() + ".reason");
        try (OutputStream out = Files.newOutputStream(reason)) {
            out.write((file.getFileName() + " (" + Instant.now() + "): " + count + " bad record"
                    + (count == 1 ? "" : "s") + "; the bad records are kept here, the good ones were accepted\n")
                    .getBytes(StandardCharsets.UTF_8));
            Files.copy(errors.resolve(hidden + ".reason"), out);
        }
        Files.delete(errors.resolve(hidden + ".reason"));
        Files.move(errors.resolve(hidden), target, StandardCopyOption.ATOMIC_MOVE);
        records = null;
        SET_ASIDE.report("bad records", "{}: {} bad record(s) set aside in {} ({})", file, count, target, first);
    }

    /** The file will be read again (or is set aside whole): what was written so far goes. */
    void drop() {
        if (records == null) {
            return;
        }
        try {
            records.close();
            reasons.close();
            Files.deleteIfExists(errors.resolve(hidden));
            Files.deleteIfExists(errors.resolve(hidden + ".reason"));
        } catch (IOException e) {
            LOG.debug("cannot remove the partial bad records of {} in {}", file, errors, e);
        }
        records = null;
    }

    /**
     * Moves the whole file to {@code .error/} beside a {@code .reason} saying what is wrong with it; false when it
     * cannot be moved (it stays where it is).
     */
    static boolean setAsideWhole(Path file, String where, String problem) {
        Path target;
        try {
            target = unique(Files.createDirectories(errorDir(file)).resolve(file.getFileName().toString()));
            Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.debug("cannot move {} to {}", file, errorDir(file), e);
            return false;
        }
        try {
            Files.writeString(target.resolveSibling(target.getFileName() + ".reason"), file.getFileName() + " ("
                    + Instant.now() + "): the whole file is kept here, none of its records was accepted\n" + where
                    + ": " + problem + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            SET_ASIDE.report("no reason", "{}: cannot write the reason beside {}: {}", file, target, e.toString());
        }
        SET_ASIDE.report("whole", "{}: set aside whole in {} ({}: {})", file, target, where, problem);
        return true;
    }

    private static Path unique(Path target) {
        Path candidate = target;
        for (int n = 1; Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)
                || Files.exists(candidate.resolveSibling(candidate.getFileName() + ".reason")); n++) {
            candidate = target.resolveSibling(System.currentTimeMillis() + "-" + n + "-" + target.getFileName());
        }
        return candidate;
    }
}
