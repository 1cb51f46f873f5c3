package io.iotuplink.http;

import io.iotuplink.config.ConfigReader;
import io.vertx.ext.auth.authentication.AuthenticationProvider;
import io.vertx.ext.web.handler.AuthenticationHandler;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.main.MainHttpServer;
import org.apache.camel.component.platform.http.main.ManagementHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.apache.camel.component.platform.http.vertx.auth.AuthenticationConfig;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Who may use the HTTP server. Bound to a loopback address it is this machine's own and needs no token; bound to
 * any other ({@code 0.0.0.0} in the image) every request but the health checks must carry the token of
 * {@code UPLINK_API_TOKEN} or {@code UPLINK_API_TOKEN_FILE}, and without one the bundle does not start. A token
 * that is set is required on loopback too: whoever set it expects it to count. The check sits in the Vert.x server
 * itself, in front of every route, including camel-main's metrics and routes a user adds.
 */
public final class ApiAuthentication {

    public static final String TOKEN = "uplink.api.token";
    public static final String TOKEN_FILE = "uplink.api.token-file";
    /** Shorter tokens are refused: 16 random characters are the least a guess should have to find. */
    public static final int MIN_TOKEN_LENGTH = 16;
    /** camel-main's health path when the management server does not say otherwise. */
    static final String DEFAULT_HEALTH_PATH = "/observe/health";

    private static final int MAX_TOKEN_FILE_BYTES = 4096;
    private static final String HOW = "a long random token (e.g. openssl rand -hex 32) that clients send as"
            + " 'Authorization: Bearer <token>'";

    private ApiAuthentication() {
    }

    /** An address the HTTP server listens on, with the variable that set it (for the messages). */
    public record Binding(String variable, String host) {
    }

    /** The token, if one is set, and the problems with the settings, one line each. */
    public record Settings(Optional<ApiToken> token, List<String> problems) {
    }

    /**
     * Reads the token and decides whether the bindings need one.
     *
     * @param properties looks a property key up (environment variables overriding)
     * @param bindings   the addresses the HTTP server(s) listen on
     */
    public static Settings read(Function<String, Optional<String>> properties, List<Binding> bindings) {
        List<String> problems = new ArrayList<>();
        Optional<String> value = properties.apply(TOKEN).map(String::trim).filter(v -> !v.isEmpty());
        Optional<String> file = properties.apply(TOKEN_FILE).map(String::trim).filter(v -> !v.isEmpty());
        String tokenVar = ConfigReader.envName(TOKEN);
        String fileVar = ConfigReader.envName(TOKEN_FILE);
        Optional<String> token = Optional.empty();
        if (value.isPresent() && file.isPresent()) {
            problems.add(tokenVar + " and " + fileVar + " are both set: keep one of them");
        } else if (value.isPresent()) {
            token = value;
            if (value.get().length() < MIN_TOKEN_LENGTH) {
                problems.add(tokenVar + " is shorter than " + MIN_TOKEN_LENGTH + " characters: set " + HOW);
            }
        } else if (file.isPresent()) {
            token = fromFile(fileVar, Path.of(file.get()), problems);
        }
        if (token.isEmpty() && problems.isEmpty()) {
            bindings.stream().filter(b -> !isLoopback(b.host())).findFirst().ifPresent(b -> problems.add(
                    b.variable() + "=" + b.host() + " opens the HTTP API beyond this machine, so it needs a token:"
                            + " set " + tokenVar + " (or " + fileVar + ", a file holding it) to " + HOW
                            + ", or bind to 127.0.0.1"));
        }
        return new Settings(problems.isEmpty() ? token.map(ApiToken::of) : Optional.empty(), problems);
    }

    /** The token in {@code file}, trimmed; a problem naming the path (never the content) if there is none. */
    private static Optional<String> fromFile(String variable, Path file, List<String> problems) {
        String where = variable + "=" + file + ": ";
        if (!Files.exists(file)) {
            problems.add(where + "file not found (mount the Secret holding the token there, or unset it)");
            return Optional.empty();
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            problems.add(where + "not a readable file");
            return Optional.empty();
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_TOKEN_FILE_BYTES + 1);
        } catch (IOException e) {
            problems.add(where + "cannot be read (" + e.getClass().getSimpleName() + ")");
            return Optional.empty();
        }
        if (bytes.length > MAX_TOKEN_FILE_BYTES) {
            problems.add(where + "larger than " + MAX_TOKEN_FILE_BYTES + " bytes, so not a token");
            return Optional.empty();
        }
        String token;
        try {
            token = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString().trim();
        } catch (CharacterCodingException e) {
            problems.add(where + "not UTF-8 text");
            return Optional.empty();
        }
        if (token.isEmpty()) {
            problems.add(where + "the file is empty; put the token in it");
            return Optional.empty();
        }
        if (token.length() < MIN_TOKEN_LENGTH) {
            problems.add(where + "the token in it is shorter than " + MIN_TOKEN_LENGTH + " characters: use " + HOW);
        }
        return Optional.of(token);
    }

    /** 127.0.0.0/8, ::1 or localhost, written as such: a name is not resolved (it may not mean loopback later). */
    public static boolean isLoopback(String host) {
        if (host == null || host.isBlank()) {
            return false;
        }
        String h = host.trim();
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        boolean literal = h.contains(":") || h.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
        if (!literal) {
            return false;
        }
        try {
            // a literal address: parsed, not looked up
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * The addresses camel-main's HTTP servers listen on: the API's, and the management endpoints' when they have
     * a port of their own (on the same port they are served by the API's server).
     */
    public static List<Binding> bindings(CamelContext context) {
        List<Binding> bindings = new ArrayList<>();
        MainHttpServer main = context.hasService(MainHttpServer.class);
        ManagementHttpServer management = context.hasService(ManagementHttpServer.class);
        if (main != null) {
            bindings.add(new Binding("CAMEL_SERVER_HOST", main.getHost()));
        }
        if (management != null && (main == null || management.getPort() != main.getPort())) {
            bindings.add(new Binding("CAMEL_MANAGEMENT_HOST", management.getHost()));
        }
        return bindings;
    }

    /**
     * Puts {@link ApiTokenHandler} in front of every route of camel-main's HTTP servers, through their
     * authentication configuration: camel-platform-http-vertx installs it on the router when the server starts,
     * before any route is added. Call before the context starts.
     */
    public static void require(CamelContext context, ApiToken token) {
        MainHttpServer main = context.hasService(MainHttpServer.class);
        ManagementHttpServer management = context.hasService(ManagementHttpServer.class);
        String healthPath = management != null && management.getHealthPath() != null ? management.getHealthPath()
                : DEFAULT_HEALTH_PATH;
        ApiTokenHandler handler = new ApiTokenHandler(token, healthPath);
        if (main != null) {
            require(main.getConfiguration(), handler);
        }
        // unused while the management endpoints share the API's server, in force when they have a port of their own
        if (management != null) {
            require(management.getConfiguration(), handler);
        }
    }

    private static void require(VertxPlatformHttpServerConfiguration server, ApiTokenHandler handler) {
        AuthenticationConfig authentication = server.getAuthenticationConfig();
        AuthenticationConfig.AuthenticationConfigEntry entry = new AuthenticationConfig.AuthenticationConfigEntry();
        entry.setPath("/*");
        // the handler holds the token itself: there is no Vert.x authentication provider to make
        entry.setAuthenticationProviderFactory(vertx -> null);
        entry.setAuthenticationHandlerFactory(new AuthenticationConfig.AuthenticationHandlerFactory() {
            @Override
            public <T extends AuthenticationProvider> AuthenticationHandler createAuthenticationHandler(T provider) {
                return handler;
            }
        });
        authentication.getEntries().add(entry);
        authentication.setEnabled(true);
    }

    /** What the start log says about the API's protection (never the token). */
    public static String describe(List<Binding> bindings, boolean tokenRequired) {
        String where = bindings.stream().map(Binding::host).distinct().reduce((a, b) -> a + ", " + b).orElse("");
        return tokenRequired ? "the HTTP API on " + where + " requires the bearer token (all but the health checks)"
                : "the HTTP API on " + where + " is open to this machine only (loopback, no token set)";
    }
}
