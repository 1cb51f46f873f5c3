package io.iotuplink.outbox;

import java.sql.SQLException;
import java.util.Arrays;

/**
 * A growable set of seqs, walked as runs of consecutive values: a statement per run (seq BETWEEN ? AND ?), never one
 * term per seq, so no statement grows with its input.
 */
final class LongRuns {

    /** What is done with each run, inside a transaction. */
    interface RunAction {
        void run(long from, long to) throws SQLException;
    }

    private long[] values = new long[16];
    private int size;
    private boolean sorted = true;

    void add(long value) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        if (size > 0 && values[size - 1] >= value) {
            sorted = false;
        }
        values[size++] = value;
    }

    void addAll(LongRuns other) {
        for (int i = 0; i < other.size; i++) {
            add(other.values[i]);
        }
    }

    void addAll(long[] seqs) {
        for (long seq : seqs) {
            add(seq);
        }
    }

    int size() {
        return size;
    }

    /** The seqs, ascending, without repeats. */
    long[] toArray() {
        sort();
        return Arrays.copyOf(values, size);
    }

    /** Calls {@code action} for each run of consecutive seqs, ascending. */
    void forEachRun(RunAction action) throws SQLException {
        sort();
        for (int from = 0, to; from < size; from = to) {
            to = from + 1;
            while (to < size && values[to] == values[to - 1] + 1) {
                to++;
            }
            action.run(values[from], values[to - 1]);
        }
    }

    private void sort() {
        if (sorted) {
            return;
        }
        Arrays.sort(values, 0, size);
        int unique = 0;
        for (int i = 0; i < size; i++) {
            if (unique == 0 || values[i] != values[unique - 1]) {
                values[unique++] = values[i];
            }
        }
        size = unique;
        sorted = true;
    }
}
