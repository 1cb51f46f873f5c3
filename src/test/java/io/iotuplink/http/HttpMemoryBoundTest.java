package io.iotuplink.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Four concurrent maximal requests against the bundle in its own JVM, with a heap smaller than the image's
 * ({@code -Xmx576m}): each is answered properly (202, 413 or 503 with a JSON body), none runs out of memory, and the
 * bundle goes on answering.
 */
class HttpMemoryBoundTest {

    /** The default uplink.http.max-body-size. */
    private static final int MAX_BODY = 4 << 20;
    private static final String HEAP = "-Xmx256m";

    @TempDir
    Path dir;

    /** An array of objects of {@code record} (one number placeholder), as many as fit just under the body limit. */
    private static byte[] arrayJustUnderTheLimit(String record) {
        StringBuilder body = new StringBuilder(MAX_BODY).append('[');
        for (int i = 0; body.length() + record.length() + 16 < MAX_BODY; i++) {
            body.append(i == 0 ? "" : ",").append(record.replace("#", String.valueOf(i % 100_000)));
        }
        return body.append(']').toString().getBytes(StandardCharsets.UTF_8);
    }

    private static List<HttpResponse<String>> fourAtOnce(HttpClient http, int port, byte[] body) {
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            answers.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/telemetry"))
                    .timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        return answers.stream().map(CompletableFuture::join).toList();
    }

    private static void assertProperAnswer(HttpResponse<String> response, String output) {
        assertTrue(Set.of(202, 413, 503).contains(response.statusCode()),
                response.statusCode() + " " + response.body() + "\n" + output);
        JsonNode answer = RunningBundle.json(response.body());
        if (response.statusCode() == 202) {
            assertTrue(answer.get("accepted").asInt() > 0, response.body());
        } else {
            assertFalse(answer.path("error").asText().isEmpty(), response.body());
            assertFalse(answer.path("detail").asText().isEmpty(), response.body());
        }
    }

    @Test
    void fourConcurrentMaximalArraysAreAnsweredWithoutRunningOutOfMemory() throws Exception {
        try (TestBroker broker = TestBroker.start(dir.resolve("broker"))) {
            Map<String, String> env = BundleProcess.environment(RunningBundle.properties(broker,
                    broker.device("bombercat-memory", TestBroker.KeyForm.PKCS1), dir.resolve("data")));
            int port = Integer.parseInt(env.get("CAMEL_SERVER_PORT"));
            // as many records as the outbox holds fit in one body: the most a request can make the bundle build
            byte[] fewerThanTheOutboxHolds = arrayJustUnderTheLimit("{\"temperature\":21.5,\"humidity\":40,\"seq\":#}");
            // more records than the outbox ever holds: refused while they are counted
            byte[] moreThanTheOutboxHolds = arrayJustUnderTheLimit("{\"t\":#}");

            try (BundleProcess bundle = BundleProcess.start(dir.resolve("bundle"), env, List.of(HEAP))) {
                bundle.awaitOutput("MQTT connected", Duration.ofSeconds(60));
                HttpClient http = HttpClient.newHttpClient();

                List<HttpResponse<String>> first = fourAtOnce(http, port, fewerThanTheOutboxHolds);
                List<HttpResponse<String>> second = fourAtOnce(http, port, moreThanTheOutboxHolds);

                String output = bundle.output();
                first.forEach(r -> assertProperAnswer(r, output));
                second.forEach(r -> assertProperAnswer(r, output));
                assertEquals(1, first.stream().filter(r -> r.statusCode() == 202).count(),
                        "one of them fits in the outbox: " + first.stream().map(HttpResponse::body).toList());
                assertTrue(second.stream().allMatch(r -> r.statusCode() == 413), second.get(0).body());
                assertFalse(output.contains("OutOfMemoryError"), output);
                HttpResponse<String> status = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/status")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, status.statusCode(), status.body());
                assertTrue(RunningBundle.json(status.body()).get("buffered").asLong() > 0, status.body());
            }
        }
    }
}
