package io.iotuplink.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.UplinkBundle;
import io.iotuplink.connection.ConnectionMonitor;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.main.Main;
import org.awaitility.Awaitility;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The real application (camel-main with {@link UplinkBundle}) started inside the test JVM against a
 * {@link TestBroker}, with properties set the way a user sets them.
 */
public final class RunningBundle implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Short enough that a test sees a condition the moment it holds; the checks are cheap. */
    static final Duration POLL = Duration.ofMillis(20);

    private final Main main;
    private final int httpPort;
    private final HttpClient http = HttpClient.newHttpClient();

    private RunningBundle(Main main, int httpPort) {
        this.main = main;
        this.httpPort = httpPort;
    }

    /** Properties for a device of {@code broker}, with fast retries; override any before {@link #start}. */
    public static Map<String, String> properties(TestBroker broker, TestBroker.DeviceFiles device, Path dataDir) {
        return properties("localhost:" + broker.port(), device, dataDir);
    }

    /** Properties for a device of the broker at {@code endpoint} ({@code host:port}). */
    public static Map<String, String> properties(String endpoint, TestBroker.DeviceFiles device, Path dataDir) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("aws.iot.endpoint", endpoint);
        p.put("aws.iot.cert-path", device.certificate().toString());
        p.put("aws.iot.key-path", device.key().toString());
        p.put("aws.iot.ca-path", device.ca().toString());
        p.put("aws.iot.client-id", "bombercat-test-001");
        p.put("device.id", "bombercat-001");
        p.put("uplink.data-dir", dataDir.toString());
        p.put("uplink.inbox", dataDir.resolveSibling(dataDir.getFileName() + "-inbox").toString());
        p.put("uplink.routes-dir", dataDir.resolveSibling(dataDir.getFileName() + "-routes.d").toString());
        p.put("uplink.keepalive-interval", "0");
        p.put("uplink.publish.retry.initial-delay", "100ms");
        p.put("uplink.publish.retry.max-delay", "500ms");
        p.put("uplink.reconnect.initial-delay", "1s");
        p.put("camel.server.port", String.valueOf(TestBroker.freePort()));
        return p;
    }

    public static RunningBundle start(Map<String, String> properties) {
        return start(properties, false);
    }

    /** Likewise with {@code --local}: the embedded broker on {@code uplink.local.port}, its PKI in the data dir. */
    public static RunningBundle startLocal(Map<String, String> properties) {
        return start(properties, true);
    }

    private static RunningBundle start(Map<String, String> properties, boolean local) {
        Main main = new Main();
        properties.forEach(main::addOverrideProperty);
        main.configure().addRoutesBuilder(new UplinkBundle(local));
        try {
            main.start();
        } catch (Exception e) {
            throw new AssertionError("the bundle did not start: " + e.getMessage(), e);
        }
        return new RunningBundle(main, Integer.parseInt(properties.get("camel.server.port")));
    }

    public CamelContext context() {
        return main.getCamelContext();
    }

    public ProducerTemplate producer() {
        return context().createProducerTemplate();
    }

    public ConnectionMonitor connection() {
        return context().getRegistry().lookupByNameAndType("uplinkConnection", ConnectionMonitor.class);
    }

    public RunningBundle awaitConnected() {
        await(() -> connection().isConnected(), Duration.ofSeconds(20), "the MQTT connection");
        return this;
    }

    /** A request to the bundle's HTTP API. */
    public HttpResponse<String> http(String method, String path, String contentType, String body) {
        return http(method, path, contentType, body, Map.of());
    }

    /** A request to the bundle's HTTP API with more headers ({@code Authorization}...). */
    public HttpResponse<String> http(String method, String path, String contentType, String body,
            Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        headers.forEach(request::header);
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public JsonNode status() {
        return json(http("GET", "/status", null, null).body());
    }

    public static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    /** Waits until {@code condition} holds; {@code what} names it in the timeout's message. */
    public static void await(BooleanSupplier condition, Duration timeout, String what) {
        Awaitility.await(what).atMost(timeout).pollInterval(POLL).until(condition::getAsBoolean);
    }

    @Override
    public void close() {
        try {
            main.stop();
        } catch (Exception e) {
            throw new AssertionError("the bundle did not stop: " + e.getMessage(), e);
        }
    }
}
