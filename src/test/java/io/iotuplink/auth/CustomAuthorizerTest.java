package io.iotuplink.auth;

import com.sun.net.httpserver.HttpServer;
import io.iotuplink.connection.ConnectionState;
import io.iotuplink.local.BrokerPolicy;
import io.iotuplink.local.ReceivedConnect;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Token authentication against a broker that checks the password, with each kind of token provider. One broker
 * serves the class; each test sets the password it accepts and counts only the connections made since it began.
 */
class CustomAuthorizerTest {

    @TempDir
    static Path brokerDir;
    private static TestBroker broker;

    @TempDir
    Path dir;
    private int connectsBefore;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.startAcceptingTokens(brokerDir);
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @BeforeEach
    void countConnects() {
        connectsBefore = broker.connects().size();
    }

    /** Connections the broker accepted since this test began. */
    private int connects() {
        return broker.connects().size() - connectsBefore;
    }

    private Map<String, String> tokenProperties(TestBroker broker) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("aws.iot.endpoint", "localhost:" + broker.port());
        p.put("aws.iot.ca-path", broker.caFile().toString());
        p.put("aws.iot.client-id", "bombercat-token");
        p.put("uplink.auth", "custom-authorizer");
        p.put("aws.iot.username", "device-user");
        p.put("aws.iot.authorizer-name", "BombercatAuthorizer");
        p.put("uplink.data-dir", dir.resolve("data").toString());
        p.put("uplink.inbox", dir.resolve("inbox").toString());
        p.put("uplink.keepalive-interval", "0");
        p.put("uplink.reconnect.initial-delay", "1s");
        p.put("uplink.reconnect.max-delay", "2s");
        p.put("camel.server.port", String.valueOf(TestBroker.freePort()));
        return p;
    }

    private static String token(String secret, long expiresIn) {
        return "{\"access_token\": \"" + secret + "\", \"expires_in\": " + expiresIn + "}";
    }

    private static ReceivedConnect last(TestBroker broker) {
        return broker.connects().get(broker.connects().size() - 1);
    }

    @Test
    void aFileTokenConnectsAndIsRefreshedBeforeExpiryWithoutReconnecting() throws Exception {
        broker.policy(BrokerPolicy.seed(TestBroker.PREFIX).acceptingPassword("secret-token-1"));
        Path file = Files.writeString(dir.resolve("token.json"), token("secret-token-1", 3600));
        Map<String, String> p = tokenProperties(broker);
        p.put("uplink.token.file", file.toString());
        p.put("uplink.token.refresh-threshold", "3599s");
        try (RunningBundle bundle = RunningBundle.start(p).awaitConnected()) {
            assertEquals("device-user?x-amz-customauthorizer-name=BombercatAuthorizer", last(broker).username());
            bundle.producer().sendBody("direct:telemetry", "{\"token\": 1}");
            broker.await(r -> r.payloadText().contains("\"token\":1"), 1, Duration.ofSeconds(20));

            RunningBundle.await(() -> bundle.status().get("token_refreshes").asInt() >= 3, Duration.ofSeconds(10),
                    "refreshes ahead of expiry");
            assertEquals(1, connects(), "refreshing does not reconnect");
        }
    }

    @Test
    void afterTheBrokerCutsTheClientOffItReconnectsWithTheRefreshedToken() throws Exception {
        broker.policy(BrokerPolicy.seed(TestBroker.PREFIX).acceptingPassword("old-secret"));
        Path file = Files.writeString(dir.resolve("token.json"), token("old-secret", 3600));
        Map<String, String> p = tokenProperties(broker);
        p.put("uplink.token.file", file.toString());
        try (RunningBundle bundle = RunningBundle.start(p).awaitConnected()) {
            broker.policy(BrokerPolicy.seed(TestBroker.PREFIX).acceptingPassword("new-secret"));
            Files.writeString(file, token("new-secret", 3600));

            broker.cutOff("bombercat-token");

            RunningBundle.await(() -> connects() >= 2, Duration.ofSeconds(30),
                    "a connection with the new token");
            bundle.awaitConnected();
            assertTrue(bundle.connection().history().stream().anyMatch(e -> e.error() != null
                    && e.error().contains("0x86 bad user name or password")), bundle.connection().history()
                    .toString());
        }
    }

    @Test
    void aFailingCommandProviderIsReportedThenRecovers() throws Exception {
        broker.policy(BrokerPolicy.seed(TestBroker.PREFIX).acceptingPassword("command-secret"));
        Path switchFile = dir.resolve("provider-works");
        Map<String, String> p = tokenProperties(broker);
        p.put("uplink.token.command", "test -f " + switchFile + " && echo '" + token("command-secret", 3600)
                + "' || exit 3");
        try (RunningBundle bundle = RunningBundle.start(p)) {
            RunningBundle.await(() -> bundle.connection().state() == ConnectionState.CREDENTIAL_REFRESH_FAILED,
                    Duration.ofSeconds(20), "credential_refresh_failed");
            String error = bundle.connection().history().stream().filter(e -> e.error() != null)
                    .findFirst().orElseThrow().error();
            assertEquals("UPLINK_TOKEN_COMMAND: the command exited with 3", error);

            Files.writeString(switchFile, "");
            bundle.awaitConnected();
        }
    }

    @Test
    void aUrlProviderWorksAndNoSecretReachesTheLogs() throws Exception {
        HttpServer tokens = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        tokens.createContext("/token", exchange -> {
            byte[] body = token("url-secret-42", 3600).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        tokens.start();
        PrintStream console = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            broker.policy(BrokerPolicy.seed(TestBroker.PREFIX).acceptingPassword("url-secret-42"));
            Map<String, String> p = tokenProperties(broker);
            p.put("uplink.token.url", "http://127.0.0.1:" + tokens.getAddress().getPort() + "/token");
            try (RunningBundle bundle = RunningBundle.start(p).awaitConnected()) {
                assertEquals(1, bundle.status().get("token_refreshes").asInt());
                assertTrue(bundle.http("GET", "/observe/metrics", null, null).body()
                        .contains("uplink_token_refreshes_total 1.0"));
                assertTrue(!bundle.status().toString().contains("url-secret-42"));
            }
        } finally {
            System.setOut(console);
            tokens.stop(0);
        }
        String logs = captured.toString(StandardCharsets.UTF_8);
        assertTrue(logs.contains("Token refreshed from UPLINK_TOKEN_URL=http://127.0.0.1:"), logs);
        assertTrue(!logs.contains("url-secret-42"), "the token reached the logs");
    }
}
