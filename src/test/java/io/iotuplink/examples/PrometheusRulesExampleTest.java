package io.iotuplink.examples;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code examples/prometheus/alerts.yml} passes {@code promtool check rules}, its unit tests
 * ({@code alerts.test.yml}) pass {@code promtool test rules}, and the Grafana dashboard's queries are PromQL
 * promtool accepts. Needs {@code promtool}: skipped without it on a developer's machine, failed under
 * {@code CI=true}.
 */
class PrometheusRulesExampleTest {

    private static Path promtool;

    @BeforeAll
    static void findPromtool() {
        promtool = ProgramOnPath.require("promtool", "prometheus",
                "the alerting rules and the dashboard's queries cannot be checked");
    }

    @Test
    void theDashboardsQueriesAreValidPromQl(@TempDir Path dir) throws Exception {
        List<Map<String, String>> rules = new ArrayList<>();
        MonitoringExamples.dashboardQueries().forEach((where, expr) -> {
            if (where.startsWith("panel ")) {
                // Grafana's variables as Prometheus would get them from a dashboard showing every bundle
                rules.add(Map.of("record", "dashboard:query" + rules.size(), "expr", expr
                        .replaceAll("\\$__(rate_interval|interval|range)\\b", "5m")
                        .replaceAll("\\$[a-z_]+", ".*")));
            }
        });
        Path file = dir.resolve("dashboard-queries.yml");
        new YAMLMapper().writeValue(file.toFile(), Map.of("groups", List.of(Map.of("name", "dashboard", "rules",
                rules))));

        String output = promtool("check", "rules", file.toAbsolutePath().toString());

        assertTrue(output.contains("SUCCESS: " + rules.size() + " rules found"), output);
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
        Path example = MonitoringExamples.PROMETHEUS;
        Process process = new ProcessBuilder(command).directory(example.toFile()).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish in 30 s");
        }
        assertEquals(0, process.exitValue(), String.join(" ", command) + " in " + example + ":\n" + output);
        return output;
    }
}
