package io.iotuplink.logging;

import io.iotuplink.local.BrokerPolicy;
import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bundle with every kind of secret set, logging at DEBUG, connected with a token and answering the HTTP API: none
 * of the secrets appears in anything it prints, and camel-main's property summary shows the keys masked.
 */
class SecretsInLogsTest {

    private static final String MQTT_TOKEN = "mqtt-token-3c9f1e";
    private static final String COMMAND_ARGUMENT = "command-arg-71d2aa";
    private static final String TOKEN_SIGNATURE = "token-signature-b04e5d";
    private static final String API_TOKEN = "api-token-5a8e0c4f2b7d9e13";

    @TempDir
    Path dir;

    @Test
    void noSecretReachesTheLogsAtDebug() throws Exception {
        try (TestBroker broker = TestBroker.startAcceptingTokens(dir.resolve("broker"))) {
            broker.policy(BrokerPolicy.seed(TestBroker.PREFIX).acceptingPassword(MQTT_TOKEN));
            int httpPort = TestBroker.freePort();
            Map<String, String> env = new HashMap<>();
            env.put("AWS_IOT_ENDPOINT", "localhost:" + broker.port());
            env.put("AWS_IOT_CA_PATH", broker.caFile().toString());
            env.put("AWS_IOT_CLIENT_ID", "bombercat-secrets");
            env.put("UPLINK_AUTH", "custom-authorizer");
            env.put("AWS_IOT_USERNAME", "device-user");
            env.put("AWS_IOT_AUTHORIZER_NAME", "BombercatAuthorizer");
            env.put("AWS_IOT_TOKEN_KEY_NAME", "token");
            env.put("AWS_IOT_TOKEN_SIGNATURE", TOKEN_SIGNATURE);
            // the command's argument is a credential of its own, as with `vault read -field=... secret/...`
            env.put("UPLINK_TOKEN_COMMAND", "X=" + COMMAND_ARGUMENT + "; echo '{\"access_token\": \"" + MQTT_TOKEN
                    + "\", \"expires_in\": 3600}'");
            env.put("UPLINK_API_TOKEN", API_TOKEN);
            env.put("UPLINK_DATA_DIR", dir.resolve("data").toString());
            env.put("UPLINK_INBOX", dir.resolve("inbox").toString());
            env.put("UPLINK_KEEPALIVE_INTERVAL", "0");
            env.put("CAMEL_SERVER_PORT", String.valueOf(httpPort));
            env.put("UPLINK_LOG_LEVEL", "DEBUG");

            try (BundleProcess bundle = BundleProcess.start(dir.resolve("run"), env,
                    BundleProcess.SHORT_LIVED_JVM)) {
                bundle.awaitOutput("MQTT connected", Duration.ofSeconds(60));
                HttpClient http = HttpClient.newHttpClient();
                for (String body : List.of("{\"temperature\": 21.5}", "{not json")) {
                    HttpResponse<String> answer = http.send(HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + httpPort + "/telemetry"))
                            .header("Authorization", "Bearer " + API_TOKEN)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertTrue(answer.statusCode() == 202 || answer.statusCode() == 400, answer.body());
                }
                broker.await(r -> r.payloadText().contains("\"temperature\":21.5"), 1, Duration.ofSeconds(20));
                bundle.terminate();
                assertEquals(0, bundle.waitForExit(Duration.ofSeconds(60)));

                String output = bundle.output();
                assertTrue(output.contains(" DEBUG "), "the bundle logged at DEBUG");
                assertTrue(output.contains("aws.iot.token-signature = xxxxxx"), "the summary masks the signature");
                assertTrue(output.contains("uplink.token.command = xxxxxx"), "the summary masks the token command");
                for (String secret : List.of(MQTT_TOKEN, COMMAND_ARGUMENT, TOKEN_SIGNATURE, API_TOKEN)) {
                    assertFalse(output.contains(secret), secret + " appears in the logs");
                }
            }
        }
    }
}
