package io.iotuplink.http;

import io.iotuplink.local.ThrowawayPki;
import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The application as a user runs it: bound beyond loopback without a token it refuses to start (exit 2, one line
 * saying how to set one); with one, the token appears nowhere in what it prints, even at DEBUG.
 */
class ApiTokenRequiredTest {

    private static final String TOKEN = "9d0c8b7a6f5e4d3c2b1a0f9e8d7c6b5a";

    @TempDir
    static Path dir;
    static TestBroker.DeviceFiles device;

    @BeforeAll
    static void pki() {
        ThrowawayPki pki = ThrowawayPki.create("api token test CA");
        pki.writeCa(dir.resolve("ca.pem"));
        ThrowawayPki.Issued issued = pki.issueDevice("bombercat-1", ThrowawayPki.KeyType.RSA);
        issued.writeCertificate(dir.resolve("device.pem.crt"));
        issued.writeTraditionalKey(dir.resolve("device.pem.key"));
        device = new TestBroker.DeviceFiles(dir.resolve("device.pem.crt"), dir.resolve("device.pem.key"),
                dir.resolve("ca.pem"));
    }

    /** A valid configuration for a broker nobody runs: the bundle starts and keeps trying to connect. */
    private static Map<String, String> onAnyAddress() {
        Map<String, String> env = BundleProcess.environment(RunningBundle.properties(
                "localhost:" + TestBroker.freePort(), device, dir.resolve("data")));
        env.put("CAMEL_SERVER_HOST", "0.0.0.0");
        return env;
    }

    private static String refusedStart(Map<String, String> env) {
        try (BundleProcess bundle = BundleProcess.start(dir.resolve("run"), env, BundleProcess.SHORT_LIVED_JVM)) {
            int exit = bundle.waitForExit(Duration.ofSeconds(60));
            assertEquals(2, exit, bundle.output());
            return bundle.output();
        }
    }

    @Test
    void anyAddressWithoutATokenRefusesToStartWithOneLineSayingHowToSetIt() {
        String output = refusedStart(onAnyAddress());

        assertTrue(output.contains("the configuration has a problem:"), "one problem: " + output);
        assertTrue(output.contains("CAMEL_SERVER_HOST=0.0.0.0 opens the HTTP API beyond this machine, so it needs a"
                + " token: set UPLINK_API_TOKEN (or UPLINK_API_TOKEN_FILE"), output);
    }

    @Test
    void anEmptyTokenFileIsNamedByItsPath() throws IOException {
        Path empty = Files.writeString(dir.resolve("empty-token"), "\n");
        Map<String, String> env = onAnyAddress();
        env.put("UPLINK_API_TOKEN_FILE", empty.toString());

        String output = refusedStart(env);

        assertTrue(output.contains("UPLINK_API_TOKEN_FILE=" + empty + ": the file is empty"), output);
    }

    @Test
    void theTokenIsNeverPrintedEvenAtDebug() throws Exception {
        Map<String, String> env = onAnyAddress();
        env.put("UPLINK_API_TOKEN", TOKEN);
        env.put("UPLINK_LOG_LEVEL", "DEBUG");
        String base = "http://127.0.0.1:" + env.get("CAMEL_SERVER_PORT");
        HttpClient http = HttpClient.newHttpClient();
        try (BundleProcess bundle = BundleProcess.start(dir.resolve("debug"), env, BundleProcess.SHORT_LIVED_JVM)) {
            // the API answers 503 "starting" until the routes run
            RunningBundle.await(() -> status(http, base + "/status", "Bearer " + TOKEN) == 200,
                    Duration.ofSeconds(60), "the HTTP API");

            assertEquals(401, status(http, base + "/status", "Bearer " + TOKEN.substring(1) + "0"));

            bundle.terminate();
            assertEquals(0, bundle.waitForExit(Duration.ofSeconds(60)), bundle.output());
            String output = bundle.output();
            assertTrue(output.contains("requires the bearer token"), "the start says the API is protected");
            assertTrue(output.contains("DEBUG"), "logged at DEBUG");
            assertFalse(output.contains(TOKEN), () -> "the token was printed:\n" + output.lines()
                    .filter(line -> line.contains(TOKEN)).map(line -> line.replace(TOKEN, "<the token>"))
                    .collect(java.util.stream.Collectors.joining("\n")));
        }
    }

    private static int status(HttpClient http, String url, String authorization) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
