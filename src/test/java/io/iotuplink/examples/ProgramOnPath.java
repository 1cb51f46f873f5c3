package io.iotuplink.examples;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Finds a program the examples' tests run: skipped without it on a developer's machine, failed under CI=true. */
final class ProgramOnPath {

    private ProgramOnPath() {
    }

    /** The first executable {@code program} on the PATH; {@code debianPackage} is what .ci/run installs for it. */
    static Path require(String program, String debianPackage, String whatNeedsIt) {
        Path found = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(entry -> !entry.isEmpty())
                .map(entry -> Path.of(entry, program))
                .filter(Files::isExecutable)
                .findFirst().orElse(null);
        if (found == null) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(program + " is not on the PATH; .ci/run installs the Debian package "
                        + debianPackage);
            }
            Assumptions.abort(program + " is not on the PATH (apt-get install " + debianPackage + "): "
                    + whatNeedsIt);
        }
        return found;
    }
}
