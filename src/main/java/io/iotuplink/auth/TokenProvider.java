package io.iotuplink.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotuplink.TokenRefreshException;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Where fresh tokens come from: a command's stdout, a file re-read on each refresh, or an HTTP GET, each giving
 * {@code {"access_token": ..., "username": optional, "expires_in": seconds}}. Failures name the provider and the
 * problem, never the token.
 */
public abstract class TokenProvider {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Clock clock;

    protected TokenProvider(Clock clock) {
        this.clock = clock;
    }

    /** Like {@code UPLINK_TOKEN_FILE=/run/token.json}, for messages. */
    public abstract String describe();

    /** The provider's raw JSON answer. */
    protected abstract String fetch();

    public Token fresh() {
        String text = fetch();
        JsonNode json;
        try {
            json = JSON.readTree(text);
        } catch (IOException e) {
            throw new TokenRefreshException(describe() + ": the answer is not JSON");
        }
        if (json == null || !json.isObject()) {
            throw new TokenRefreshException(describe() + ": the answer is not a JSON object");
        }
        JsonNode token = json.get("access_token");
        if (token == null || !token.isTextual() || token.asText().isEmpty()) {
            throw new TokenRefreshException(describe() + ": the answer has no \"access_token\" string");
        }
        JsonNode expiresIn = json.get("expires_in");
        if (expiresIn == null || !expiresIn.canConvertToLong() || expiresIn.asLong() <= 0) {
            throw new TokenRefreshException(describe() + ": the answer has no positive \"expires_in\" (seconds)");
        }
        JsonNode username = json.get("username");
        return new Token(token.asText(), username != null && username.isTextual() ? username.asText() : null,
                clock.instant().plusSeconds(expiresIn.asLong()));
    }

    /** {@code UPLINK_TOKEN_COMMAND}: run through {@code /bin/sh -c}, stdout is the answer. */
    public static TokenProvider command(String command, Clock clock) {
        return new TokenProvider(clock) {
            @Override
            public String describe() {
                return "UPLINK_TOKEN_COMMAND";
            }

            @Override
            protected String fetch() {
                try {
                    Process process = new ProcessBuilder("/bin/sh", "-c", command)
                            .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                    byte[] out = process.getInputStream().readAllBytes();
                    if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                        process.destroyForcibly();
                        throw new TokenRefreshException(describe() + ": the command did not finish within "
                                + TIMEOUT.toSeconds() + "s");
                    }
                    if (process.exitValue() != 0) {
                        throw new TokenRefreshException(describe() + ": the command exited with "
                                + process.exitValue());
                    }
                    return new String(out, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new TokenRefreshException(describe() + ": cannot run the command (" + e.getMessage() + ")");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new TokenRefreshException(describe() + ": interrupted");
                }
            }
        };
    }

    /** {@code UPLINK_TOKEN_FILE}: re-read on every refresh. */
    public static TokenProvider file(Path file, Clock clock) {
        return new TokenProvider(clock) {
            @Override
            public String describe() {
                return "UPLINK_TOKEN_FILE=" + file;
            }

            @Override
            protected String fetch() {
                try {
                    return Files.readString(file, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new TokenRefreshException(describe() + ": cannot read the file ("
                            + e.getClass().getSimpleName() + ")");
                }
            }
        };
    }

    /** {@code UPLINK_TOKEN_URL}: an HTTP GET whose body is the answer. */
    public static TokenProvider url(URI url, Clock clock) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
        return new TokenProvider(clock) {
            @Override
            public String describe() {
                // never the user info (user:password@) nor the query, which may hold credentials
                return "UPLINK_TOKEN_URL=" + url.getScheme() + "://" + url.getHost()
                        + (url.getPort() < 0 ? "" : ":" + url.getPort()) + url.getPath();
            }

            @Override
            protected String fetch() {
                try {
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(url).timeout(TIMEOUT).GET()
                            .build(), HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() != 200) {
                        throw new TokenRefreshException(describe() + ": answered HTTP " + response.statusCode());
                    }
                    return response.body();
                } catch (IOException e) {
                    throw new TokenRefreshException(describe() + ": cannot fetch (" + e.getClass().getSimpleName()
                            + ")");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new TokenRefreshException(describe() + ": interrupted");
                }
            }
        };
    }
}
