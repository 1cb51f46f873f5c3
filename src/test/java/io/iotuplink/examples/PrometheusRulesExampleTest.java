package io.iotuplink.examples;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code examples/prometheus/alerts.yml} passes {@code promtool check rules} and its unit tests
 * ({@code alerts.test.yml}) pass {@code promtool test rules}. Needs {@code promtool}: skipped without it on a
 * developer's machine, failed under {@code CI=true}.
 */
class PrometheusRulesExampleTest {

    private static final Path EXAMPLE = Path.of("examples", "prometheus");

    private static Path promtool;

    @BeforeAll
    static void findPromtool() {
        promtool = ProgramOnPath.require("promtool", "prometheus", "the alerting rules cannot be checked");
    }

    @Test
    void theAlertingRulesAreValid() throws Exception {
        String output = promtool("check", "rules", "alerts.yml");

        assertTrue(output.contains("SUCCESS: 8 rules found"), output);
    }

    @Test
    void theAlertingRulesPassTheirUnitTests() throws Exception {
        String output = promtool("test", "rules", "alerts.test.yml");

        assertTrue(output.contains("SUCCESS"), output);
    }

    /** promtool's output (stdout and stderr) in the example's directory; it must exit 0. */
    private static String promtool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(promtool.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(EXAMPLE.toFile()).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish in 30 s");
        }
        assertEquals(0, process.exitValue(), String.join(" ", command) + " in " + EXAMPLE + ":\n" + output);
        return output;
    }
}
