package io.iotuplink.outbox;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The newest stored readings the drain has not been handed yet, kept in memory as they were committed, so that a
 * drain keeping up does not read back from disk what was just written there. It holds every stored reading from
 * {@link #coveredFrom} on (and nothing else): a question about older readings, after a restart, a rewind or when
 * the drain fell behind by more than it keeps, is answered from the database.
 */
final class RecentReadings {

    private final int maxReadings;
    private final long maxBytes;
    private final ArrayDeque<StoredReading> readings = new ArrayDeque<>();
    private long bytes;
    /** Every stored reading with a seq from this one on is in {@link #readings}. */
    private long coveredFrom = Long.MAX_VALUE;

    RecentReadings(int maxReadings, long maxBytes) {
        this.maxReadings = maxReadings;
        this.maxBytes = maxBytes;
    }

    /** Readings just committed, newer than any before (the oldest give way when it holds too many). */
    synchronized void added(List<StoredReading> committed) {
        if (committed.isEmpty()) {
            return;
        }
        coveredFrom = Math.min(coveredFrom, committed.get(0).seq());
        for (StoredReading reading : committed) {
            readings.addLast(reading);
            bytes += reading.envelope().length;
        }
        while (readings.size() > maxReadings || bytes > maxBytes) {
            forgetFirst();
        }
    }

    /**
     * Up to {@code limit} stored readings after {@code seq}, oldest first, or null when it does not hold all of them.
     * The drain asks after the newest it was handed, so what it holds up to {@code seq} is not needed again.
     */
    synchronized List<StoredReading> after(long seq, int limit) {
        if (seq + 1 < coveredFrom) {
            return null;
        }
        droppedThrough(seq);
        coveredFrom = Math.max(coveredFrom, seq + 1);
        List<StoredReading> next = new ArrayList<>(Math.min(limit, readings.size()));
        Iterator<StoredReading> it = readings.iterator();
        while (next.size() < limit && it.hasNext()) {
            next.add(it.next());
        }
        return next;
    }

    /** Readings removed from the database ({@code seqs} in ascending order). */
    synchronized void removed(long[] seqs) {
        if (seqs.length == 0 || readings.isEmpty() || seqs[seqs.length - 1] < readings.peekFirst().seq()) {
            return;
        }
        int i = 0;
        for (Iterator<StoredReading> it = readings.iterator(); it.hasNext() && i < seqs.length; ) {
            StoredReading reading = it.next();
            while (i < seqs.length && seqs[i] < reading.seq()) {
                i++;
            }
            if (i < seqs.length && seqs[i] == reading.seq()) {
                it.remove();
                bytes -= reading.envelope().length;
                i++;
            }
        }
    }

    /** Forgets the readings up to {@code seq}: dropped from the database to make room, or handed out already. */
    synchronized void droppedThrough(long seq) {
        while (!readings.isEmpty() && readings.peekFirst().seq() <= seq) {
            forgetFirst();
        }
    }

    private void forgetFirst() {
        StoredReading first = readings.pollFirst();
        bytes -= first.envelope().length;
        coveredFrom = first.seq() + 1;
    }
}
