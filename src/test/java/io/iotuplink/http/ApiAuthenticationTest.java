package io.iotuplink.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The API bound to 0.0.0.0 (reached here through 127.0.0.1: the bind decides, not the caller's address) serves
 * nothing without the bearer token but the health checks: not the readings, not the control endpoints, not the
 * metrics, not a route the user added.
 */
class ApiAuthenticationTest {

    private static final String TOKEN = "3f7c1e9a5b2d4f6081a3c5e7f9b1d3e5";
    private static final Map<String, String> RIGHT = Map.of("Authorization", "Bearer " + TOKEN);
    private static final Map<String, String> WRONG = Map.of("Authorization", "Bearer 3f7c1e9a5b2d4f6081a3c5e7f9b1d3e6");

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(properties -> {
        properties.put("camel.server.host", "0.0.0.0");
        properties.put("uplink.api.token", TOKEN);
        userRoute(Path.of(properties.get("uplink.routes-dir")));
    });
    static TestBroker broker;
    static RunningBundle bundle;

    @BeforeAll
    static void fixtures() {
        broker = uplink.broker();
        bundle = uplink.bundle();
    }

    /** A route of the user's own in routes.d: it is served by the same server, so it is protected too. */
    private static void userRoute(Path routesDir) {
        try {
            Files.createDirectories(routesDir);
            Files.writeString(routesDir.resolve("hello.camel.yaml"), """
                    - route:
                        id: user-hello
                        from:
                          uri: platform-http:/hello
                          steps:
                            - setBody:
                                expression:
                                  constant:
                                    expression: hello
                    """);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void assertUnauthorized(HttpResponse<String> response) {
        assertEquals(401, response.statusCode(), response.body());
        JsonNode body = RunningBundle.json(response.body());
        assertEquals("unauthorized", body.get("error").asText(), response.body());
        assertFalse(body.get("detail").asText().isBlank(), response.body());
        assertTrue(response.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"),
                response.headers().map().toString());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        assertFalse(response.body().contains(TOKEN));
    }

    @Test
    void telemetryWithoutATokenIsRefusedAndNeverPublished() {
        HttpResponse<String> refused = bundle.http("POST", "/telemetry", "application/json", "{\"auth\": \"none\"}");
        assertUnauthorized(refused);
        assertTrue(RunningBundle.json(refused.body()).get("detail").asText().contains("Authorization: Bearer"));

        HttpResponse<String> accepted = bundle.http("POST", "/telemetry", "application/json", "{\"auth\": \"right\"}",
                RIGHT);
        assertEquals(202, accepted.statusCode(), accepted.body());
        broker.await(p -> p.payloadText().contains("\"auth\":\"right\""), 1, Duration.ofSeconds(20));
        assertTrue(broker.received().stream().noneMatch(p -> p.payloadText().contains("\"auth\":\"none\"")),
                "the refused reading went out");
    }

    @Test
    void aWrongTokenIsRefused() {
        HttpResponse<String> response = bundle.http("POST", "/telemetry", "application/json", "{\"auth\": \"wrong\"}",
                WRONG);
        assertUnauthorized(response);
        assertTrue(response.headers().firstValue("WWW-Authenticate").orElseThrow().contains("invalid_token"));
    }

    @Test
    void anotherSchemeThanBearerIsRefused() {
        assertUnauthorized(bundle.http("GET", "/status", null, null, Map.of("Authorization", "Basic " + TOKEN)));
        assertUnauthorized(bundle.http("GET", "/status", null, null, Map.of("Authorization", TOKEN)));
    }

    @Test
    void theRightTokenServesTheApiAndTheMetrics() {
        HttpResponse<String> status = bundle.http("GET", "/status", null, null, RIGHT);
        assertEquals(200, status.statusCode(), status.body());
        assertTrue(RunningBundle.json(status.body()).get("connected").asBoolean(), status.body());

        HttpResponse<String> event = bundle.http("POST", "/events/door_open", "application/json", "{}", RIGHT);
        assertEquals(202, event.statusCode(), event.body());

        HttpResponse<String> metrics = bundle.http("GET", "/observe/metrics", null, null, RIGHT);
        assertEquals(200, metrics.statusCode(), metrics.body());
        assertTrue(metrics.body().contains("uplink_"), "Prometheus text with the bundle's meters");

        // the scheme is case-insensitive (RFC 7235)
        assertEquals(200, bundle.http("GET", "/status", null, null,
                Map.of("Authorization", "bearer " + TOKEN)).statusCode());
    }

    @Test
    void statusAndMetricsNeedTheTokenToo() {
        assertUnauthorized(bundle.http("GET", "/status", null, null));
        assertUnauthorized(bundle.http("GET", "/observe/metrics", null, null));
        assertUnauthorized(bundle.http("GET", "/observe/health/../metrics", null, null));
    }

    @Test
    void healthChecksNeedNoToken() {
        HttpResponse<String> live = bundle.http("GET", "/observe/health/live", null, null);
        assertEquals(200, live.statusCode(), live.body());
        // readiness may be DOWN for a moment (the file input has not polled yet): answered, not refused
        for (String path : List.of("/observe/health", "/observe/health/ready")) {
            HttpResponse<String> response = bundle.http("GET", path, null, null);
            assertTrue(response.statusCode() == 200 || response.statusCode() == 503, path + ": " + response.body());
            assertTrue(RunningBundle.json(response.body()).has("status"), path + ": " + response.body());
        }
    }

    @Test
    void controlEndpointsRefuseWithoutTheToken() {
        assertUnauthorized(bundle.http("POST", "/state", "application/json", "{\"state\": \"pwned\"}"));
        assertUnauthorized(bundle.http("POST", "/connection", "application/json", "{\"reconnect\": false}"));
        assertUnauthorized(bundle.http("POST", "/connection/reconnect", null, null));

        HttpResponse<String> changed = bundle.http("POST", "/state", "application/json",
                "{\"state\": \"uploading\"}", RIGHT);
        assertEquals(202, changed.statusCode(), changed.body());
        assertEquals("idle", RunningBundle.json(changed.body()).get("from").asText(),
                "the refused change must not have happened");
        assertTrue(broker.received().stream().noneMatch(p -> p.payloadText().contains("pwned")));
    }

    @Test
    void aLargeBodyWithoutTheTokenIsRefusedAndTheNextRequestIsServed() {
        String large = "[" + "{\"n\": 1},".repeat(800_000) + "{\"n\": 1}]";
        assertUnauthorized(bundle.http("POST", "/telemetry", "application/json", large));
        assertEquals(200, bundle.http("GET", "/status", null, null, RIGHT).statusCode());
    }

    @Test
    void aRouteTheUserAddedIsProtectedToo() {
        assertUnauthorized(bundle.http("GET", "/hello", null, null));
        HttpResponse<String> hello = bundle.http("GET", "/hello", null, null, RIGHT);
        assertEquals(200, hello.statusCode(), hello.body());
        assertEquals("hello", hello.body());
    }
}
