package io.iotuplink.config;

import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;

/** The known name closest to a mistyped one (fewest letters added, removed or replaced), for a "did you mean". */
public final class ClosestName {

    private ClosestName() {
    }

    /** The candidate nearest to {@code name}, the first in alphabetical order among equals; empty without any. */
    public static Optional<String> among(String name, Collection<String> candidates) {
        return candidates.stream().min(Comparator.comparingInt((String candidate) -> editDistance(name, candidate))
                .thenComparing(Comparator.naturalOrder()));
    }

    /**
     * Levenshtein distance. Written out here: the one maintained implementation (commons-text) would bring
     * commons-lang3 into the bundle's jar, where only the embedded broker's jar carries it.
     */
    static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
