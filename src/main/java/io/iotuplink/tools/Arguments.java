package io.iotuplink.tools;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A command's words after its name: options it knows (flags, and options with a value) and the rest. */
final class Arguments {

    private final Set<String> flags = new java.util.HashSet<>();
    private final Map<String, String> values = new HashMap<>();
    private final List<String> rest = new ArrayList<>();

    private Arguments() {
    }

    /**
     * Parses {@code words}; {@code --name=value} and {@code --name value} both work.
     *
     * @throws UsageException naming an unknown option or a missing value
     */
    static Arguments parse(List<String> words, Set<String> knownFlags, Set<String> knownValues) {
        Arguments parsed = new Arguments();
        for (int i = 0; i < words.size(); i++) {
            String word = words.get(i);
            if (!word.startsWith("-")) {
                parsed.rest.add(word);
                continue;
            }
            String name = word;
            String value = null;
            int equals = word.indexOf('=');
            if (equals > 0) {
                name = word.substring(0, equals);
                value = word.substring(equals + 1);
            }
            if (knownFlags.contains(name) && value == null) {
                parsed.flags.add(name);
            } else if (knownValues.contains(name)) {
                if (value == null) {
                    if (i + 1 >= words.size()) {
                        throw new UsageException(name + " needs a value");
                    }
                    value = words.get(++i);
                }
                parsed.values.put(name, value);
            } else {
                throw new UsageException("unknown option " + word);
            }
        }
        return parsed;
    }

    boolean has(String flag) {
        return flags.contains(flag);
    }

    Optional<String> value(String option) {
        return Optional.ofNullable(values.get(option));
    }

    List<String> rest() {
        return rest;
    }

    /** A command line that cannot be run: exit 2 with the usage. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
