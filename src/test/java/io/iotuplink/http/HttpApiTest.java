package io.iotuplink.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpApiTest {

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle();
    static TestBroker broker;
    static RunningBundle bundle;

    @BeforeAll
    static void fixtures() {
        broker = uplink.broker();
        bundle = uplink.bundle();
    }

    @Test
    void postTelemetryAnswers202WithTheMessageIdOnTheWire() {
        HttpResponse<String> response = bundle.http("POST", "/telemetry", "application/json",
                "{\"temperature\": 21.5, \"http\": 1}");

        assertEquals(202, response.statusCode(), response.body());
        JsonNode answer = RunningBundle.json(response.body());
        assertEquals(1, answer.get("accepted").asInt());
        String id = answer.get("message_ids").get(0).asText();
        assertEquals(id, broker.await(p -> p.payloadText().contains("\"http\":1"), 1, Duration.ofSeconds(20)).get(0)
                .userProperties().get("message_id"));
    }

    @Test
    void anArrayOfRecordsBecomesOneReadingEach() {
        HttpResponse<String> response = bundle.http("POST", "/telemetry", "application/json",
                "[{\"batch\": \"a\"}, {\"batch\": \"b\"}, {\"event\": \"door_open\", \"metadata\": {\"batch\": \"c\"}}]");

        assertEquals(202, response.statusCode(), response.body());
        assertEquals(3, RunningBundle.json(response.body()).get("accepted").asInt());
        broker.await(p -> p.payloadText().contains("\"batch\":\"a\"") && p.topic().equals("bombercat/telemetry"), 1,
                Duration.ofSeconds(20));
        broker.await(p -> p.payloadText().contains("\"batch\":\"b\""), 1, Duration.ofSeconds(20));
        broker.await(p -> p.payloadText().contains("\"event\":\"door_open\"") && p.topic().equals("bombercat/events"),
                1, Duration.ofSeconds(20));
    }

    @Test
    void postEventUsesThePathAsTheEventName() {
        HttpResponse<String> response = bundle.http("POST", "/events/temperature_alert", "application/json",
                "{\"severity\": \"warning\", \"http\": 2}");

        assertEquals(202, response.statusCode(), response.body());
        String payload = broker.await(p -> p.payloadText().contains("\"http\":2"), 1, Duration.ofSeconds(20)).get(0)
                .payloadText();
        assertTrue(payload.contains("\"event\":\"temperature_alert\",\"metadata\":{\"severity\":\"warning\",\"http\":2}"),
                payload);
    }

    @Test
    void anEventWithAnEmptyBodyHasEmptyMetadata() {
        HttpResponse<String> response = bundle.http("POST", "/events/button_pressed", "application/json", "");

        assertEquals(202, response.statusCode(), response.body());
        broker.await(p -> p.payloadText().endsWith("\"event\":\"button_pressed\",\"metadata\":{}}"), 1,
                Duration.ofSeconds(20));
    }

    @Test
    void malformedJsonIs400NamingWhereItBroke() {
        HttpResponse<String> response = bundle.http("POST", "/telemetry", "application/json", "{\"t\": 1,");

        assertEquals(400, response.statusCode());
        JsonNode error = RunningBundle.json(response.body());
        assertEquals("malformed JSON", error.get("error").asText());
        assertTrue(error.get("detail").asText().contains("line 1"), response.body());
    }

    @Test
    void badJsonIsExplainedInPlainWordsWithItsLineAndColumnOnEveryRoute() {
        Map<String, String> mistakes = new LinkedHashMap<>();
        mistakes.put("{\"t\": 1", "the text ends before the object opened at line 1, column 1 is closed with '}'"
                + " at line 1, column 8");
        mistakes.put("{\"t\": \"abc", "the text ends inside a string at line 1, column 11");
        mistakes.put("[{\"t\": 1}}", "'}' where the array opened at line 1, column 1 needs ']' at line 1, column 11");
        mistakes.put("{\n  \"t\": 1,\n  \"u\": tru\n}", "unexpected word 'tru' where a value belongs");
        mistakes.put("{\"t\": 1,}", "unexpected character '}' where a member name in double quotes belongs");
        mistakes.put("{\"t\": 1} {\"u\": 2}", "the input goes on after its JSON value (which ends at line 1,"
                + " column 9)");
        for (String path : List.of("/telemetry", "/events/bad_json", "/state", "/connection")) {
            mistakes.forEach((body, plain) -> {
                HttpResponse<String> response = bundle.http("POST", path, "application/json", body);

                assertEquals(400, response.statusCode(), path + " " + body + ": " + response.body());
                String detail = RunningBundle.json(response.body()).get("detail").asText();
                assertTrue(detail.contains(plain), path + " " + body + ": " + detail);
                assertTrue(detail.matches(".*line \\d+, column \\d+.*"), detail);
                for (String internal : List.of("Source:", "REDACTED", "jackson", "DeserializationFeature",
                        "bound as", "JsonReadFeature", "(code ")) {
                    assertFalse(response.body().toLowerCase().contains(internal.toLowerCase()),
                            path + " " + body + " answers with library internals: " + response.body());
                }
            });
        }
    }

    @Test
    void aPostWithoutContentTypeIsTakenAsJsonOnEveryRoute() {
        assertEquals(202, bundle.http("POST", "/telemetry", null, "{\"no_type\": 1}").statusCode());
        assertEquals(202, bundle.http("POST", "/events/no_type", null, "{\"no_type\": 2}").statusCode());
        assertEquals(200, bundle.http("POST", "/connection", null, "{\"reconnect\": true}").statusCode());
        HttpResponse<String> state = bundle.http("POST", "/state", null, "{\"state\": 1}");
        assertEquals(400, state.statusCode(), "read as JSON and judged, not refused as a type: " + state.body());
        assertTrue(state.body().contains("send {\\\"state\\\""), state.body());
        for (String path : List.of("/telemetry", "/events/form", "/state", "/connection")) {
            assertEquals(415, bundle.http("POST", path, "application/x-www-form-urlencoded", "{\"a\": 1}")
                    .statusCode(), path);
        }
    }

    @Test
    void aRecordThatIsNotAnObjectIs400() {
        HttpResponse<String> response = bundle.http("POST", "/telemetry", "application/json", "[{\"ok\": 1}, 42]");

        assertEquals(400, response.statusCode());
        JsonNode error = RunningBundle.json(response.body());
        assertEquals("not a JSON object", error.get("error").asText());
        assertTrue(error.get("detail").asText().contains("record 1 of the array is a number"), response.body());
        assertTrue(broker.received().stream().noneMatch(p -> p.payloadText().contains("\"ok\":1")),
                "a refused batch publishes nothing");
    }

    @Test
    void anInvalidEventNameIs400() {
        HttpResponse<String> response = bundle.http("POST", "/events/" + "x".repeat(65), "application/json", "{}");

        assertEquals(400, response.statusCode());
        assertEquals("invalid event name", RunningBundle.json(response.body()).get("error").asText());
    }

    @Test
    void aReadingOver128KbIs413AndNotTruncated() {
        String big = "{\"blob\": \"" + "x".repeat(128 * 1024) + "\"}";

        HttpResponse<String> response = bundle.http("POST", "/telemetry", "application/json", big);

        assertEquals(413, response.statusCode());
        JsonNode error = RunningBundle.json(response.body());
        assertEquals("reading too large", error.get("error").asText());
        assertTrue(error.get("detail").asText().contains("at most 131072"), response.body());
    }

    @Test
    void aBodyThatIsNotJsonIs415() {
        HttpResponse<String> response = bundle.http("POST", "/telemetry", "text/plain", "temperature=21");

        assertEquals(415, response.statusCode());
        assertTrue(RunningBundle.json(response.body()).get("detail").asText().contains("application/json"));
    }

    @Test
    void statusKeepsTheSeedKeysFirstAndAddsTheRest() {
        bundle.http("POST", "/telemetry", "application/json", "{\"status\": 1}");
        broker.await(p -> p.payloadText().contains("\"status\":1"), 1, Duration.ofSeconds(20));

        HttpResponse<String> response = bundle.http("GET", "/status", null, null);

        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode status = RunningBundle.json(response.body());
        List<String> keys = new ArrayList<>();
        status.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("connection_status", "connected", "reconnect_attempts", "last_publish_ts", "device_id",
                "client_id", "endpoint", "uptime", "clock", "published", "failed", "buffered", "buffered_bytes",
                "dropped", "expired", "readings_accepted", "readings_published", "readings_failed", "readings_expired",
                "readings_dropped", "outbox", "quota", "inputs", "dead_letters", "inbox", "connect_attempts",
                "connect_successes",
                "connect_success_rate",
                "reconnect_enabled", "connection_reason", "history"), keys);
        assertEquals("ok", status.get("outbox").get("storage").asText(), status.toString());
        List<String> lanes = new ArrayList<>();
        status.get("outbox").get("lanes").fieldNames().forEachRemaining(lanes::add);
        assertEquals(List.of("priority", "bulk"), lanes, "each lane's depth, the one handed out first first");
        assertEquals(RunningBundle.json("{\"publishes\": 100, \"bytes\": 524288, \"per_seconds\": 1.1,"
                + " \"slowed_down\": false, \"slow_downs\": 0}"), status.get("quota"), "AWS's quotas, kept over 1.1 s");
        assertEquals("connected", status.get("connection_status").asText());
        assertTrue(status.get("connected").asBoolean());
        assertEquals(0, status.get("reconnect_attempts").asInt());
        assertTrue(status.get("reconnect_enabled").asBoolean());
        assertTrue(status.get("connection_reason").isNull(), "no reason while connected");
        assertTrue(status.get("readings_published").asLong() >= 1, status.toString());
        assertEquals(status.get("readings_accepted").asLong(), status.get("readings_published").asLong()
                + status.get("readings_failed").asLong() + status.get("readings_expired").asLong()
                + status.get("readings_dropped").asLong() + status.get("buffered").asLong(),
                "the books balance: " + status);
        assertTrue(status.get("last_publish_ts").asDouble() > 1.7e9);
        assertEquals("bombercat-001", status.get("device_id").asText());
        assertEquals("bombercat-test-001", status.get("client_id").asText());
        assertEquals("localhost:" + broker.port(), status.get("endpoint").asText());
        assertTrue(status.get("published").asLong() >= 1);
        assertEquals(0, status.get("failed").asLong());
        JsonNode last = status.get("history").get(status.get("history").size() - 1);
        assertEquals("connected", last.get("state").asText());
        assertTrue(last.get("error").isNull());
    }

    @Test
    void healthAndPrometheusMetricsShareTheApiPort() {
        bundle.http("POST", "/telemetry", "application/json", "{\"metrics\": 1}");
        broker.await(p -> p.payloadText().contains("\"metrics\":1"), 1, Duration.ofSeconds(20));
        // a polling consumer (the file inbox) reports DOWN until its first poll
        RunningBundle.await(() -> bundle.http("GET", "/observe/health", null, null).statusCode() == 200,
                Duration.ofSeconds(10), "health UP");
        HttpResponse<String> health = bundle.http("GET", "/observe/health", null, null);
        HttpResponse<String> metrics = bundle.http("GET", "/observe/metrics", null, null);

        assertEquals(200, health.statusCode(), health.body());
        assertEquals("UP", RunningBundle.json(health.body()).get("status").asText());
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("app_info{camel_context="), metrics.body());
        assertTrue(metrics.body().contains("uplink_publishes_total{kind=\"telemetry\",result=\"published\"}"),
                metrics.body());
        assertTrue(metrics.body().contains("uplink_outbox_storage_full 0.0"), metrics.body());
        assertTrue(metrics.body().contains("uplink_connected 1.0"), metrics.body());
        assertTrue(metrics.body().contains("uplink_quota_divisor 1.0"), metrics.body());
        assertTrue(metrics.body().contains("uplink_quota_slow_downs_total 0.0"), metrics.body());
        assertTrue(metrics.body().contains("uplink_outbox_readings "), metrics.body());
        assertTrue(metrics.body().contains("uplink_puback_seconds_count "), metrics.body());
        assertTrue(metrics.body().contains("uplink_input_records_total{input=\"http\",result=\"accepted\"}"),
                metrics.body());
        // Camel's route metrics cover the input routes, not the route every publish takes (uplink_* measure it)
        assertTrue(metrics.body().contains("routeId=\"uplink-http-telemetry\""), metrics.body());
        assertFalse(metrics.body().contains("routeId=\"uplink-publish\""), metrics.body());
    }
}
