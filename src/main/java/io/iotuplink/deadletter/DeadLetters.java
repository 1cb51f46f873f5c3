package io.iotuplink.deadletter;

import io.iotuplink.config.ConfigReader;
import io.iotuplink.config.FileMode;
import io.iotuplink.outbox.StoredReading;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * The dead-letter directory ({@code {data-dir}/dead-letter}): one reading per {@code {message_id}.json} (its envelope
 * as the outbox stored it) and {@code {message_id}.reason} ({@link DeadLetter}, written last), capped in readings
 * and bytes, the oldest removed first. Thread-safe: the publish route's threads write, {@code /status} and the
 * metrics read.
 */
public final class DeadLetters {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
    /** A burst of removals ends after this long without one: the next one WARNs again. */
    private static final long BURST_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final String ENVELOPE = ".json";
    private static final String REASON = ".reason";
    private static final String WRITING = ".writing-";

    private final Path dir;
    private final FileMode mode;
    private final long maxReadings;
    private final long maxBytes;
    private final LongSupplier nanos;
    /** Each letter's bytes on disk (both files), oldest first. */
    private final LinkedHashMap<String, Long> letters = new LinkedHashMap<>();
    private long bytes;
    private long removed;
    private long burstRemoved;
    private long lastRemovalNanos;
    private boolean inBurst;

    /**
     * Reads what the directory holds (its letters in the order of their files' times), keeping in memory and on disk
     * the newest {@code maxReadings} only: a directory an earlier version filled without a cap costs no more memory.
     * The bytes cap applies at the next {@link #cap()} or write.
     *
     * @param maxReadings letters kept at most; the oldest go first past it
     * @param maxBytes    bytes kept at most (envelopes and reasons)
     */
    public DeadLetters(Path dir, FileMode mode, long maxReadings, long maxBytes, LongSupplier nanos) {
        this.dir = dir;
        this.mode = mode;
        this.maxReadings = maxReadings;
        this.maxBytes = maxBytes;
        this.nanos = nanos;
        scan();
    }

    /** The directory's letters as they are on disk now, for a command that only reads it (no cap, no writes). */
    public static DeadLetters read(Path dir) {
        return new DeadLetters(dir, FileMode.PRIVATE, Long.MAX_VALUE, Long.MAX_VALUE, System::nanoTime);
    }

    public Path dir() {
        return dir;
    }

    /**
     * Writes each reading's envelope and reason (the reason last: a letter is its {@code .reason}, so one cut short
     * is no letter, and whoever sees the reason finds the envelope), then removes the oldest past the caps.
     *
     * @param batch the message id of the batch they were refused in, or null
     * @throws IOException when a file cannot be written: the caller fails, and the readings stay in the outbox
     */
    public synchronized void write(List<StoredReading> readings, String reasonCode, String error, int attempts,
            String batch, Instant failedAt) throws IOException {
        mode.directory(dir);
        for (StoredReading reading : readings) {
            DeadLetter letter = new DeadLetter(reading.messageId(), reading.kind(), reading.topic(),
                    reading.acceptedAtMillis(), reading.lane().label(), failedAt, attempts, reasonCode, error, batch);
            byte[] reason = letter.text().getBytes(StandardCharsets.UTF_8);
            place(reading.messageId() + ENVELOPE, reading.envelope());
            place(reading.messageId() + REASON, reason);
            Long before = letters.remove(reading.messageId());
            bytes += reason.length + reading.envelope().length - (before == null ? 0 : before);
            letters.put(reading.messageId(), (long) reason.length + reading.envelope().length);
        }
        cap();
    }

    /** The letters, oldest first. */
    public synchronized List<DeadLetter> list() {
        List<DeadLetter> all = new ArrayList<>(letters.size());
        for (String id : letters.keySet()) {
            find(id).ifPresent(all::add);
        }
        return all;
    }

    /** The letter of {@code messageId}, if the directory holds it. */
    public Optional<DeadLetter> find(String messageId) {
        if (!safe(messageId) || !Files.exists(dir.resolve(messageId + ENVELOPE))) {
            return Optional.empty();
        }
        try {
            return Optional.of(DeadLetter.parse(messageId,
                    Files.readString(dir.resolve(messageId + REASON), StandardCharsets.UTF_8)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The envelope of {@code messageId} as the outbox stored it. */
    public byte[] envelope(String messageId) throws IOException {
        return Files.readAllBytes(dir.resolve(messageId + ENVELOPE));
    }

    /** Letters kept. */
    public synchronized long count() {
        return letters.size();
    }

    /** Their bytes on disk (envelopes and reasons). */
    public synchronized long bytes() {
        return bytes;
    }

    /** Letters the caps removed since the start. */
    public synchronized long removed() {
        return removed;
    }

    /** Removes a letter (both its files); false when there was none. */
    public synchronized boolean remove(String messageId) throws IOException {
        if (!safe(messageId)) {
            return false;
        }
        boolean had = Files.deleteIfExists(dir.resolve(messageId + REASON));
        Files.deleteIfExists(dir.resolve(messageId + ENVELOPE));
        Long size = letters.remove(messageId);
        if (size != null) {
            bytes -= size;
        }
        return had;
    }

    /**
     * Removes the oldest letters while there are more than the caps allow; one WARN when a burst of removals starts
     * (and with it the count of the burst before), none while it lasts.
     *
     * @return how many it removed
     */
    public synchronized int cap() throws IOException {
        int n = 0;
        Iterator<Map.Entry<String, Long>> oldest = letters.entrySet().iterator();
        while ((letters.size() > maxReadings || bytes > maxBytes) && oldest.hasNext()) {
            Map.Entry<String, Long> letter = oldest.next();
            delete(letter.getKey());
            bytes -= letter.getValue();
            oldest.remove();
            n++;
        }
        removedOldest(n);
        return n;
    }

    /** Counts letters the caps removed; one WARN when a burst of removals starts. */
    private void removedOldest(int n) {
        if (n > 0) {
            removed += n;
            long now = nanos.getAsLong();
            if (!inBurst || now - lastRemovalNanos >= BURST_NANOS) {
                LOG.warn("The dead-letter directory {} is over its cap ({}={} readings, {}={} bytes): the oldest"
                        + " dead letters are removed to make room ({} now{}); raise the caps or fix what the broker"
                        + " refuses (the .reason files say why)", dir,
                        ConfigReader.envName("uplink.dead-letter.max-readings"), maxReadings,
                        ConfigReader.envName("uplink.dead-letter.max-bytes"), maxBytes, n,
                        inBurst ? ", " + burstRemoved + " in the burst before" : "");
                inBurst = true;
                burstRemoved = 0;
            }
            burstRemoved += n;
            lastRemovalNanos = now;
        }
    }

    private void place(String name, byte[] content) throws IOException {
        Path target = dir.resolve(name);
        Path temp = dir.resolve(WRITING + name);
        Files.write(temp, content);
        mode.file(temp);
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** A message id as a file name: no path, no dot name. */
    private static boolean safe(String messageId) {
        return !messageId.isEmpty() && !messageId.startsWith(".") && !messageId.contains("/")
                && !messageId.contains("\\");
    }

    private void scan() {
        if (!Files.isDirectory(dir)) {
            return;
        }
        record Found(String id, FileTime time, long size) {
        }
        Comparator<Found> oldestFirst = Comparator.comparing(Found::time).thenComparing(Found::id);
        // the newest maxReadings only, however many files an earlier version left (millions, without a cap)
        PriorityQueue<Found> found = new PriorityQueue<>(oldestFirst);
        int over = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String name = file.getFileName().toString();
                if (name.endsWith(REASON) && !name.startsWith(".")) {
                    String id = name.substring(0, name.length() - REASON.length());
                    Path envelope = dir.resolve(id + ENVELOPE);
                    try {
                        long size = Files.size(file) + (Files.exists(envelope) ? Files.size(envelope) : 0);
                        found.add(new Found(id, Files.getLastModifiedTime(file), size));
                        if (found.size() > maxReadings) {
                            delete(found.poll().id());
                            over++;
                        }
                    } catch (IOException e) {
                        // removed meanwhile
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the dead-letter directory " + dir, e);
        }
        List<Found> kept = new ArrayList<>(found);
        kept.sort(oldestFirst);
        for (Found letter : kept) {
            letters.put(letter.id(), letter.size());
            bytes += letter.size();
        }
        removedOldest(over);
    }

    private void delete(String messageId) throws IOException {
        Files.deleteIfExists(dir.resolve(messageId + REASON));
        Files.deleteIfExists(dir.resolve(messageId + ENVELOPE));
    }
}
