package io.iotuplink.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP API refuses what it cannot take whole and unchanged, each with its status and a JSON body naming the
 * problem, and does not let a connection sit idle or a body trickle in for ever.
 */
class HttpInputLimitsTest {

    private static final int MAX_BODY = 64 * 1024;
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(p -> {
        p.put("uplink.http.max-body-size", "64KB");
        p.put("uplink.http.idle-timeout", "1s");
        p.put("uplink.http.request-timeout", "2s");
        p.put("uplink.outbox.max-readings", "50");
    });
    static TestBroker broker;
    static RunningBundle bundle;
    static int port;

    @BeforeAll
    static void fixtures() {
        broker = uplink.broker();
        bundle = uplink.bundle();
        port = Integer.parseInt(bundle.context().resolvePropertyPlaceholders("{{camel.server.port}}"));
    }

    private static HttpResponse<String> post(String path, byte[] body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        try {
            return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("POST " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static HttpResponse<String> post(String path, String body) {
        return post(path, body.getBytes(StandardCharsets.UTF_8));
    }

    /** Asserts the status and a JSON body whose "error" is {@code error}; returns its "detail". */
    private static String assertRefused(int status, String error, HttpResponse<String> response) {
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                response.headers().map().toString());
        JsonNode answer = RunningBundle.json(response.body());
        assertEquals(error, answer.path("error").asText(), response.body());
        return answer.path("detail").asText();
    }

    @Test
    void twoObjectsInOneBodyAre400AndNeitherIsPublished() {
        String detail = assertRefused(400, "trailing data", post("/telemetry", "{\"two\":1}{\"b\":2}"));

        assertTrue(detail.contains("one object, or one array"), detail);
        assertTrue(broker.received().stream().noneMatch(p -> p.payloadText().contains("\"two\":1")));
    }

    @Test
    void garbageAfterTheObjectIs400() {
        assertRefused(400, "trailing data", post("/telemetry", "{\"trail\":1}garbage"));
    }

    @Test
    void invalidUtf8Is400() {
        byte[] body = {'{', '"', 'u', 't', 'f', '"', ':', '"', (byte) 0xc3, '(', '"', '}'};

        String detail = assertRefused(400, "invalid UTF-8", post("/telemetry", body));

        assertTrue(detail.contains("UTF-8"), detail);
    }

    @Test
    void aNumberBeyondADoubleIs400() {
        String detail = assertRefused(400, "number out of range", post("/telemetry", "{\"huge\":1e400}"));

        assertTrue(detail.contains("huge"), detail);
    }

    @Test
    void anIntegerOfAThousandAndOneDigitsIs400() {
        assertRefused(400, "number too long", post("/telemetry", "{\"n\":" + "7".repeat(1001) + "}"));
    }

    @Test
    void nestingOf65LevelsIs400() {
        assertRefused(400, "nested too deeply", post("/events/deep", "{\"a\":".repeat(65) + "1" + "}".repeat(65)));
    }

    @Test
    void theControlRoutesReadTheirBodiesAsStrictly() {
        assertRefused(400, "trailing data", post("/state", "{\"state\":\"collecting_data\"}{\"state\":\"x\"}"));
    }

    @Test
    void moreRecordsThanTheOutboxEverHoldsIs413() {
        String detail = assertRefused(413, "too many records", post("/telemetry", "[" + "{\"r\":1},".repeat(50)
                + "{\"r\":1}]"));

        assertTrue(detail.contains("more than 50 records"), detail);
    }

    @Test
    void aBodyOverTheLimitIs413WithoutBeingRead() {
        byte[] body = ("[" + "{\"big\":1},".repeat(MAX_BODY / 10) + "{\"big\":1}]").getBytes(StandardCharsets.UTF_8);
        assertTrue(body.length > MAX_BODY);

        String detail = assertRefused(413, "body too large", post("/telemetry", body));

        assertTrue(detail.contains(String.valueOf(MAX_BODY)), detail);
    }

    @Test
    void aChunkedBodyOverTheLimitIs413() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /telemetry HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = "{\"chunk\":1},".repeat(1000).getBytes(StandardCharsets.US_ASCII);
            String response = "";
            try {
                for (int sent = 0; sent <= MAX_BODY; sent += chunk.length) {
                    out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(chunk);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
            } catch (IOException closedWhileSending) {
                // the server may answer and close before the client is done
            }
            response = new String(readUntilClosed(socket.getInputStream()), StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 413"), response);
            assertTrue(response.contains("\"error\":\"body too large\""), response);
        }
    }

    /** What the server answers {@code request} (sent as is), up to the closed connection. */
    private static String raw(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new String(readUntilClosed(socket.getInputStream()), StandardCharsets.UTF_8);
        }
    }

    /** Asserts the status line and a JSON body whose "error" is {@code error}. */
    private static void assertJsonAnswer(int status, String error, String response) {
        // a request line too long to read is answered in HTTP/1.0
        assertTrue(response.matches("(?s)HTTP/1\\.[01] " + status + " .*"), response);
        assertTrue(response.toLowerCase(java.util.Locale.ROOT).contains("content-type: application/json"), response);
        String body = response.substring(response.indexOf("\r\n\r\n") + 4);
        assertEquals(error, RunningBundle.json(body).path("error").asText(), response);
    }

    @Test
    void anUnknownPathIs404InJson() throws IOException {
        assertJsonAnswer(404, "not found", raw("GET /telemetri HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    }

    @Test
    void aWrongMethodIs405InJsonWithTheMethodsThePathTakes() throws IOException {
        String telemetry = raw("GET /telemetry HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        String event = raw("DELETE /events/door_open HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

        assertJsonAnswer(405, "method not allowed", telemetry);
        assertTrue(telemetry.contains("\r\nAllow: POST\r\n") || telemetry.contains("\r\nallow: POST\r\n"),
                telemetry);
        assertJsonAnswer(405, "method not allowed", event);
        assertTrue(event.toLowerCase(java.util.Locale.ROOT).contains("\r\nallow: post\r\n"), event);
        String health = raw("POST /observe/health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n");
        assertJsonAnswer(405, "method not allowed", health);
        assertTrue(health.toLowerCase(java.util.Locale.ROOT).contains("\r\nallow: get\r\n"), health);
    }

    @Test
    void aTooLongUriIs414AndTooLargeHeadersAre431InJson() throws IOException {
        assertJsonAnswer(414, "URI too long",
                raw("GET /status?q=" + "x".repeat(5000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
        assertJsonAnswer(431, "request header fields too large",
                raw("GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "x".repeat(10_000) + "\r\n\r\n"));
    }

    @Test
    void aRequestWithBothContentLengthAndTransferEncodingIs400AndNotPublished() throws IOException {
        String body = "{\"smuggled\":1}";
        String response = raw("POST /telemetry HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length() + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n");

        assertJsonAnswer(400, "bad request", response);
        assertTrue(response.contains("both Content-Length and Transfer-Encoding"), response);
    }

    @Test
    void aGoodRequestIsStillAcceptedAndPublished() {
        HttpResponse<String> response = post("/telemetry", "[{\"good\":1}, {\"good\":2}]");

        assertEquals(202, response.statusCode(), response.body());
        assertEquals(2, RunningBundle.json(response.body()).get("accepted").asInt());
        broker.await(p -> p.payloadText().contains("\"good\":2"), 1, Duration.ofSeconds(20));
    }

    @Test
    void aConnectionThatSendsHalfARequestIsClosedAfterTheIdleTimeout() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) IDLE_TIMEOUT.multipliedBy(5).toMillis());
            socket.getOutputStream().write("POST /telemetry HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty"
                    .getBytes(StandardCharsets.US_ASCII));
            long sent = System.nanoTime();

            assertEquals(-1, socket.getInputStream().read(), "the server closes the connection");

            Duration open = Duration.ofNanos(System.nanoTime() - sent);
            assertTrue(open.compareTo(IDLE_TIMEOUT.minusMillis(100)) >= 0, "closed after " + open);
        }
    }

    @Test
    void anIdleKeptAliveConnectionIsClosedAfterTheIdleTimeout() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) IDLE_TIMEOUT.multipliedBy(5).toMillis());
            socket.getOutputStream().write("GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));

            String answer = new String(readUntilClosed(socket.getInputStream()), StandardCharsets.UTF_8);

            assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
        }
    }

    @Test
    void aBodyTricklingInSlowerThanTheRequestTimeoutIs408AndClosed() throws IOException, InterruptedException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) REQUEST_TIMEOUT.multipliedBy(5).toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(("POST /telemetry HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            long sent = System.nanoTime();
            InputStream in = socket.getInputStream();
            // a byte now and then, each well within the idle timeout, never the whole body
            socket.setSoTimeout((int) IDLE_TIMEOUT.toMillis() / 3);
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            while (Duration.ofNanos(System.nanoTime() - sent).compareTo(REQUEST_TIMEOUT.multipliedBy(5)) < 0) {
                try {
                    out.write(' ');
                    out.flush();
                } catch (IOException closed) {
                    break;
                }
                try {
                    int n = in.read();
                    if (n == -1) {
                        break;
                    }
                    answer.write(n);
                    socket.setSoTimeout(10_000);
                    answer.write(in.readAllBytes());
                    break;
                } catch (SocketTimeoutException e) {
                    // nothing yet: send the next byte
                }
            }
            Duration open = Duration.ofNanos(System.nanoTime() - sent);
            String text = answer.toString(StandardCharsets.UTF_8);

            assertTrue(text.startsWith("HTTP/1.1 408"), text);
            assertTrue(text.contains("\"error\":\"request timeout\""), text);
            assertTrue(open.compareTo(REQUEST_TIMEOUT.minusMillis(100)) >= 0, "answered after " + open);
            assertTrue(open.compareTo(REQUEST_TIMEOUT.multipliedBy(3)) < 0, "answered after " + open);
        }
    }

    /** Reads until the server closes the connection (a timeout fails the test). */
    private static byte[] readUntilClosed(InputStream in) throws IOException {
        return in.readAllBytes();
    }
}
