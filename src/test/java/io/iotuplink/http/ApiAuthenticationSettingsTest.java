package io.iotuplink.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When the HTTP API needs a token, and what is wrong with the token it was given (never the token itself). */
class ApiAuthenticationSettingsTest {

    private static final String TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
    private static final List<ApiAuthentication.Binding> ANY_ADDRESS =
            List.of(new ApiAuthentication.Binding("CAMEL_SERVER_HOST", "0.0.0.0"));
    private static final List<ApiAuthentication.Binding> LOOPBACK =
            List.of(new ApiAuthentication.Binding("CAMEL_SERVER_HOST", "127.0.0.1"));

    @TempDir
    Path dir;

    private static ApiAuthentication.Settings read(Map<String, String> properties,
            List<ApiAuthentication.Binding> bindings) {
        return ApiAuthentication.read(key -> Optional.ofNullable(properties.get(key)), bindings);
    }

    @Test
    void loopbackAddressesAreThoseWrittenAsLoopback() {
        for (String host : List.of("127.0.0.1", "127.1.2.3", "::1", "[::1]", "0:0:0:0:0:0:0:1", "localhost",
                "LOCALHOST")) {
            assertTrue(ApiAuthentication.isLoopback(host), host);
        }
        for (String host : List.of("0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "fe80::1", "gateway.local", "",
                "128.0.0.1")) {
            assertFalse(ApiAuthentication.isLoopback(host), host);
        }
    }

    @Test
    void loopbackWithoutATokenIsOpen() {
        ApiAuthentication.Settings settings = read(Map.of(), LOOPBACK);
        assertEquals(List.of(), settings.problems());
        assertTrue(settings.token().isEmpty());
    }

    @Test
    void anyOtherAddressWithoutATokenIsOneProblemSayingHowToSetIt() {
        ApiAuthentication.Settings settings = read(Map.of(), ANY_ADDRESS);
        assertEquals(1, settings.problems().size(), settings.problems().toString());
        String problem = settings.problems().get(0);
        assertTrue(problem.startsWith("CAMEL_SERVER_HOST=0.0.0.0 "), problem);
        assertTrue(problem.contains("UPLINK_API_TOKEN") && problem.contains("UPLINK_API_TOKEN_FILE"), problem);
        assertTrue(problem.contains("127.0.0.1"), "or bind to loopback: " + problem);
    }

    @Test
    void aManagementServerOfItsOwnCountsToo() {
        ApiAuthentication.Settings settings = read(Map.of(), List.of(LOOPBACK.get(0),
                new ApiAuthentication.Binding("CAMEL_MANAGEMENT_HOST", "192.168.1.20")));
        assertEquals(1, settings.problems().size(), settings.problems().toString());
        assertTrue(settings.problems().get(0).startsWith("CAMEL_MANAGEMENT_HOST=192.168.1.20 "));
    }

    @Test
    void aTokenMatchesOnlyItself() {
        ApiToken token = read(Map.of("uplink.api.token", "  " + TOKEN + "\n"), ANY_ADDRESS).token().orElseThrow();
        assertTrue(token.matches(TOKEN));
        assertFalse(token.matches(TOKEN.substring(1)));
        assertFalse(token.matches(TOKEN + "0"));
        assertFalse(token.matches(""));
        assertFalse(token.toString().contains(TOKEN));
    }

    @Test
    void aTokenSetOnLoopbackIsRequiredThere() {
        assertTrue(read(Map.of("uplink.api.token", TOKEN), LOOPBACK).token().isPresent());
    }

    @Test
    void theTokenFileIsReadAndTrimmed() throws IOException {
        Path file = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        ApiAuthentication.Settings settings = read(Map.of("uplink.api.token-file", file.toString()), ANY_ADDRESS);
        assertEquals(List.of(), settings.problems());
        assertTrue(settings.token().orElseThrow().matches(TOKEN));
    }

    @Test
    void aTokenShorterThanSixteenCharactersIsRefusedWithoutShowingIt() throws IOException {
        String shortToken = "s3cr3t-but-shrt";
        List<String> problems = read(Map.of("uplink.api.token", shortToken), LOOPBACK).problems();
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("UPLINK_API_TOKEN is shorter than 16 characters"), problems.get(0));
        assertFalse(problems.get(0).contains(shortToken));

        Path file = Files.writeString(dir.resolve("short"), shortToken);
        problems = read(Map.of("uplink.api.token-file", file.toString()), ANY_ADDRESS).problems();
        assertEquals(List.of("UPLINK_API_TOKEN_FILE=" + file + ": the token in it is shorter than 16 characters:"
                + " use a long random token (e.g. openssl rand -hex 32) that clients send as 'Authorization:"
                + " Bearer <token>'"), problems);
    }

    @Test
    void aMissingEmptyOrHugeTokenFileIsNamedByItsPath() throws IOException {
        Path missing = dir.resolve("missing");
        Path empty = Files.writeString(dir.resolve("empty"), " \n");
        Path huge = Files.write(dir.resolve("huge"), new byte[100_000]);
        Path directory = Files.createDirectories(dir.resolve("a-directory"));
        Map<Path, String> expected = Map.of(missing, "file not found", empty, "the file is empty",
                huge, "larger than 4096 bytes", directory, "not a readable file");
        expected.forEach((file, what) -> {
            List<String> problems = read(Map.of("uplink.api.token-file", file.toString()), ANY_ADDRESS).problems();
            assertEquals(1, problems.size(), problems.toString());
            assertTrue(problems.get(0).startsWith("UPLINK_API_TOKEN_FILE=" + file + ": " + what), problems.get(0));
        });
    }

    @Test
    void bothTheTokenAndItsFileIsAmbiguous() throws IOException {
        Path file = Files.writeString(dir.resolve("token"), TOKEN);
        Map<String, String> both = new HashMap<>();
        both.put("uplink.api.token", TOKEN);
        both.put("uplink.api.token-file", file.toString());
        ApiAuthentication.Settings settings = read(both, ANY_ADDRESS);
        assertEquals(List.of("UPLINK_API_TOKEN and UPLINK_API_TOKEN_FILE are both set: keep one of them"),
                settings.problems());
        assertTrue(settings.token().isEmpty());
    }
}
