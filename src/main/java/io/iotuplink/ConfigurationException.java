package io.iotuplink;

import java.util.List;

/** The configuration is missing, malformed or points at files that cannot be used. */
public class ConfigurationException extends UplinkException {

    private final List<String> problems;

    public ConfigurationException(List<String> problems) {
        super(String.join(System.lineSeparator(), problems));
        this.problems = List.copyOf(problems);
    }

    public ConfigurationException(String problem) {
        this(List.of(problem));
    }

    /** One line per problem, each naming the variable (and the file) at fault. */
    public List<String> problems() {
        return problems;
    }
}
