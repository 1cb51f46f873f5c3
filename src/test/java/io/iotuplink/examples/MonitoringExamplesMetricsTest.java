package io.iotuplink.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.clock.ClockSteps;
import io.iotuplink.connection.ConnectionMonitor;
import io.iotuplink.deadletter.DeadLetters;
import io.iotuplink.inputs.InputCounters;
import io.iotuplink.mqtt.PublishShaper;
import io.iotuplink.outbox.BatchEnvelope;
import io.iotuplink.outbox.OutboxComponent;
import io.iotuplink.outbox.OutboxStore;
import io.iotuplink.outbox.WhenFull;
import io.iotuplink.publish.PublishOutcomes;
import io.iotuplink.status.PublishStats;
import io.iotuplink.status.UplinkMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.iotuplink.examples.MonitoringExamples.ALERTS;
import static io.iotuplink.examples.MonitoringExamples.DASHBOARD;

/**
 * The Grafana dashboard in {@code examples/grafana} and the alerting rules in {@code examples/prometheus} query only
 * {@code uplink_*} metrics the bundle exports, with their labels, and use each by its type: counters through
 * {@code rate()}/{@code increase()}, gauges never. The exported names come from {@link UplinkMetrics} on a
 * Prometheus registry, with fakes behind it (no broker, no Camel context).
 */
class MonitoringExamplesMetricsTest {

    private static final Pattern METRIC = Pattern.compile("\\buplink_[a-zA-Z0-9_]*[a-zA-Z0-9]");
    private static final Set<String> COUNTER_FUNCTIONS = Set.of("rate", "irate", "increase");
    /** Labels Prometheus adds to every series it scrapes, and the summary's. */
    private static final Set<String> SCRAPE_LABELS = Set.of("job", "instance", "quantile");

    private enum Kind { COUNTER, GAUGE }

    private record Exported(Kind kind, Set<String> labels) {
    }

    @TempDir
    static Path dir;

    private static OutboxStore outbox;
    /** The sample lines of a bundle that has only just started: nothing accepted, published or refused yet. */
    private static List<String> atStart;
    private static Map<String, Exported> exported;

    @BeforeAll
    static void scrapeTheBundlesMetrics() {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        outbox = OutboxStore.open(dir.resolve("outbox.db"), 10, 100_000, WhenFull.REJECT);
        UplinkMetrics metrics = new UplinkMetrics(prometheus, new ConnectionMonitor(Clock.systemUTC(), 10), outbox);
        metrics.quota(new PublishShaper(100, 512_000, System::nanoTime));
        metrics.deadLetters(DeadLetters.read(dir.resolve("dead-letter")));
        metrics.clockSteps(new ClockSteps(Clock.systemUTC(), System::nanoTime, step -> { }));
        metrics.inFlight(new OutboxComponent(outbox, new BatchEnvelope(new ObjectMapper(), "gw-01", Clock.systemUTC()),
                () -> false, () -> 10, new PublishOutcomes(new PublishStats(), metrics, Clock.systemUTC())));
        atStart = prometheus.scrape().lines().filter(line -> line.startsWith("uplink_")).toList();
        InputCounters inputs = new InputCounters();
        inputs.accepted("http", 1);
        inputs.reportTo(metrics);
        metrics.publish("telemetry", "published");
        metrics.puback(Duration.ofMillis(5));
        exported = exported(prometheus.scrape());
    }

    @AfterAll
    static void closeOutbox() {
        outbox.close();
    }

    @Test
    void theDashboardTakesItsDataSourceFromAVariable() {
        JsonNode dashboard = MonitoringExamples.dashboard();
        JsonNode variables = dashboard.path("templating").path("list");
        assertTrue(variables.findValues("type").stream().anyMatch(t -> t.asText().equals("datasource")),
                "a datasource variable: " + variables);

        List<JsonNode> sources = new ArrayList<>(dashboard.findValues("datasource"));
        assertFalse(sources.isEmpty());
        for (JsonNode source : sources) {
            String uid = source.isTextual() ? source.asText() : source.path("uid").asText();
            assertTrue(uid.equals("${datasource}") || uid.equals("-- Grafana --"),
                    DASHBOARD + ": a datasource that is not the variable ${datasource}: " + source);
        }
    }

    @Test
    void everyPanelQueriesMetricsTheBundleExports() {
        for (JsonNode panel : MonitoringExamples.panels(MonitoringExamples.dashboard().path("panels"))) {
            if (!panel.path("type").asText().equals("row")) {
                assertTrue(panel.path("targets").size() > 0,
                        DASHBOARD + ": panel \"" + panel.path("title").asText() + "\" has no query");
            }
        }
        Map<String, String> queries = MonitoringExamples.dashboardQueries();

        assertTrue(queries.size() > 20, "the dashboard's queries: " + queries.keySet());
        assertEveryMetricKnownAndUsedByItsType(DASHBOARD, queries);
    }

    @Test
    void everyAlertQueriesMetricsTheBundleExports() {
        Map<String, String> queries = MonitoringExamples.alertQueries();

        assertEquals(8, queries.size(), "the alerts: " + queries.keySet());
        assertEveryMetricKnownAndUsedByItsType(ALERTS, queries);
    }

    /** increase() sees no first event in a series that appears with it: {@code increase(x[15m]) > 0} would miss it. */
    @Test
    void everyCounterAnAlertWatchesIsExportedFromTheStart() {
        List<String> missing = new ArrayList<>();
        MonitoringExamples.alertQueries().forEach((where, expr) -> {
            Matcher name = METRIC.matcher(expr);
            while (name.find()) {
                Exported metric = exported.get(name.group());
                if (metric == null || metric.kind() != Kind.COUNTER) {
                    continue; // a gauge (an unknown name is caught by the tests above)
                }
                List<String> selected = selector(expr, name.end()).stream()
                        .filter(matcher -> matcher.op().equals("=")).map(LabelMatcher::sample).toList();
                boolean there = atStart.stream().anyMatch(line -> line.startsWith(name.group() + " ")
                        || line.startsWith(name.group() + "{") && selected.stream().allMatch(line::contains));
                if (!there) {
                    missing.add(where + ": " + name.group() + selected);
                }
            }
        });

        assertEquals(List.of(), missing, "not in the scrape of a bundle that has just started: " + atStart);
    }

    @Test
    void aRateOfAGaugeOrABareCounterIsCaught() {
        Map<String, String> wrong = Map.of("gauge", "rate(uplink_outbox_readings[5m])",
                "counter", "uplink_connects_total > 0", "name", "uplink_outbox_reading", "label",
                "uplink_outbox_lane_readings{line=\"bulk\"}");
        wrong.forEach((what, expr) -> assertFalse(problems(Map.of(what, expr)).isEmpty(), expr));
        assertEquals(List.of(), problems(Map.of("ok",
                "sum by (result) (rate(uplink_connects_total{job=~\"$job\"}[$__rate_interval])) * 60"
                        + " and deriv(uplink_outbox_readings[10m]) > 0")));
    }

    // ---- checking queries ----

    private static void assertEveryMetricKnownAndUsedByItsType(Path file, Map<String, String> queries) {
        List<String> problems = problems(queries);
        assertEquals(List.of(), problems, file + " (exported: " + new TreeSet<>(exported.keySet()) + ")");
    }

    /** What is wrong with each query: unknown names or labels, counters not rated, gauges rated. */
    private static List<String> problems(Map<String, String> queries) {
        Map<String, Exported> known = new HashMap<>(exported);
        List<String> problems = new ArrayList<>();
        queries.forEach((where, expr) -> {
            Matcher name = METRIC.matcher(expr);
            while (name.find()) {
                Exported metric = known.get(name.group());
                if (metric == null) {
                    problems.add(where + ": " + name.group() + " is not a metric the bundle exports");
                    continue;
                }
                String function = enclosingFunction(expr, name.start());
                if (metric.kind() == Kind.COUNTER && !COUNTER_FUNCTIONS.contains(function)) {
                    problems.add(where + ": the counter " + name.group() + " outside rate()/increase()");
                }
                if (metric.kind() == Kind.GAUGE && COUNTER_FUNCTIONS.contains(function)) {
                    problems.add(where + ": the gauge " + name.group() + " inside " + function + "()");
                }
                for (LabelMatcher matcher : selector(expr, name.end())) {
                    if (!metric.labels().contains(matcher.label()) && !SCRAPE_LABELS.contains(matcher.label())) {
                        problems.add(where + ": " + name.group() + " has no label " + matcher.label());
                    }
                }
            }
        });
        return problems;
    }

    /** The function whose parenthesis directly holds the name at {@code at} ({@code ""} if none). */
    private static String enclosingFunction(String expr, int at) {
        int i = at - 1;
        while (i >= 0 && Character.isWhitespace(expr.charAt(i))) {
            i--;
        }
        if (i < 0 || expr.charAt(i) != '(') {
            return "";
        }
        i--;
        while (i >= 0 && Character.isWhitespace(expr.charAt(i))) {
            i--;
        }
        int last = i;
        while (i >= 0 && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '_')) {
            i--;
        }
        return expr.substring(i + 1, last + 1);
    }

    /** One {@code label="value"} (or {@code =~ != !~}) of a selector. */
    private record LabelMatcher(String label, String op, String value) {

        /** As the scrape writes the label when it is an equality. */
        String sample() {
            return label + "=\"" + value + "\"";
        }
    }

    /** The label matchers of the selector right after a metric name ({@code name{a="x",b=~"y"}}). */
    private static List<LabelMatcher> selector(String expr, int at) {
        if (at >= expr.length() || expr.charAt(at) != '{') {
            return List.of();
        }
        String selector = expr.substring(at + 1, expr.indexOf('}', at));
        List<LabelMatcher> matchers = new ArrayList<>();
        Matcher label = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)\\s*\"((?:[^\"\\\\]|\\\\.)*)\"")
                .matcher(selector);
        while (label.find()) {
            matchers.add(new LabelMatcher(label.group(1), label.group(2), label.group(3)));
        }
        return matchers;
    }

    // ---- reading the scrape ----

    /**
     * Each {@code uplink_*} sample name of a Prometheus text scrape, typed by its family: a counter's
     * {@code _total} and a summary's {@code _count} and {@code _sum} count, the rest (quantiles, {@code _max},
     * gauges) are gauges.
     */
    private static Map<String, Exported> exported(String scrape) {
        Map<String, String> families = new HashMap<>();
        Map<String, Exported> samples = new TreeMap<>();
        Pattern type = Pattern.compile("^# TYPE (\\S+) (\\S+)$");
        Pattern sample = Pattern.compile("^(uplink_[a-zA-Z0-9_]+)(?:\\{(.*)})? \\S+$");
        for (String line : scrape.split("\n")) {
            Matcher typed = type.matcher(line);
            if (typed.matches()) {
                families.put(typed.group(1), typed.group(2));
                continue;
            }
            Matcher named = sample.matcher(line);
            if (!named.matches()) {
                continue;
            }
            String name = named.group(1);
            String family = families.getOrDefault(name, families.getOrDefault(
                    name.replaceFirst("_(total|count|sum|bucket)$", ""), "gauge"));
            boolean counts = family.equals("counter") || (family.equals("summary") || family.equals("histogram"))
                    && name.matches(".*_(count|sum|bucket)$");
            Set<String> labels = new TreeSet<>();
            if (named.group(2) != null) {
                Matcher label = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"").matcher(named.group(2));
                while (label.find()) {
                    labels.add(label.group(1));
                }
            }
            samples.merge(name, new Exported(counts ? Kind.COUNTER : Kind.GAUGE, labels),
                    (a, b) -> new Exported(a.kind(), union(a.labels(), b.labels())));
        }
        assertTrue(samples.containsKey("uplink_connected"), "the scrape holds the bundle's metrics:\n" + scrape);
        return samples;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> both = new TreeSet<>(a);
        both.addAll(b);
        return both;
    }
}
