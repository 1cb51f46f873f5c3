package io.iotuplink.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The PromQL queries of the Grafana dashboard and of the alerting rules in examples/, each named by where it is. */
final class MonitoringExamples {

    static final Path DASHBOARD = Path.of("examples", "grafana", "iot-uplink.json");
    static final Path PROMETHEUS = Path.of("examples", "prometheus");
    static final Path ALERTS = PROMETHEUS.resolve("alerts.yml");

    private MonitoringExamples() {
    }

    static JsonNode dashboard() {
        try {
            return new ObjectMapper().readTree(DASHBOARD.toFile());
        } catch (IOException e) {
            throw new AssertionError(DASHBOARD + " is not JSON: " + e.getMessage(), e);
        }
    }

    /** Every panel's queries ({@code panel "Title" A}) and every query variable's ({@code variable job}). */
    static Map<String, String> dashboardQueries() {
        JsonNode dashboard = dashboard();
        Map<String, String> queries = new LinkedHashMap<>();
        for (JsonNode panel : panels(dashboard.path("panels"))) {
            for (JsonNode target : panel.path("targets")) {
                queries.put("panel \"" + panel.path("title").asText() + "\" " + target.path("refId").asText(),
                        target.path("expr").asText());
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if (variable.path("type").asText().equals("query")) {
                queries.put("variable " + variable.path("name").asText(),
                        variable.path("query").path("query").asText(variable.path("query").asText()));
            }
        }
        return queries;
    }

    /** The panels, those inside collapsed rows too. */
    static List<JsonNode> panels(JsonNode panels) {
        List<JsonNode> all = new ArrayList<>();
        for (JsonNode panel : panels) {
            all.add(panel);
            all.addAll(panels(panel.path("panels")));
        }
        return all;
    }

    /** Each alert's expression ({@code alert UplinkDisconnected}). */
    static Map<String, String> alertQueries() {
        Map<String, String> queries = new LinkedHashMap<>();
        try {
            for (JsonNode group : new YAMLMapper().readTree(ALERTS.toFile()).path("groups")) {
                for (JsonNode rule : group.path("rules")) {
                    queries.put("alert " + rule.path("alert").asText(), rule.path("expr").asText());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return queries;
    }
}
