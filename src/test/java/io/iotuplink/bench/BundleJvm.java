package io.iotuplink.bench;

import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.RunningBundle;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The bundle as a user runs it, in a JVM of its own configured by environment variables, seen from outside: its
 * status and metrics over HTTP, its CPU from /proc. {@code bench.bundle-java-options} is handed to it as
 * {@code JAVA_TOOL_OPTIONS} (a profiler agent, say).
 */
final class BundleJvm implements AutoCloseable {

    private final BundleProcess process;
    private final URI base;
    /** HTTP/1.1: the JDK client would otherwise ask to upgrade every connection to HTTP/2, at the bundle's cost. */
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private BundleJvm(BundleProcess process, URI base) {
        this.process = process;
        this.base = base;
    }

    static BundleJvm start(Path dir, Map<String, String> properties) {
        Map<String, String> env = BundleProcess.environment(properties);
        String javaOptions = System.getProperty("bench.bundle-java-options", "");
        if (!javaOptions.isBlank()) {
            env.put("JAVA_TOOL_OPTIONS", javaOptions);
        }
        return new BundleJvm(BundleProcess.start(dir, env),
                URI.create("http://127.0.0.1:" + properties.get("camel.server.port")));
    }

    /** Waits until the bundle answers that it is connected to the broker. */
    BundleJvm awaitConnected(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (RunningBundle.json(get("/status")).get("connected").asBoolean()) {
                    return this;
                }
            } catch (IOException notListeningYet) {
                // the HTTP server is not up yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not connected within " + timeout + ":\n" + process.output());
            }
            Thread.sleep(20);
        }
    }

    /** Readings published so far ({@code published} in {@code GET /status}). */
    long published() {
        try {
            return RunningBundle.json(get("/status")).get("published").asLong();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("GET /status failed: " + e, e);
        }
    }

    String metrics() throws IOException, InterruptedException {
        return get("/observe/metrics");
    }

    long pid() {
        return process.pid();
    }

    private String get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /** SIGTERM, and the graceful stop it starts. */
    @Override
    public void close() {
        process.terminate();
        try {
            process.waitForExit(Duration.ofSeconds(30));
        } finally {
            process.close();
        }
    }
}
