package io.iotuplink.deploy;

import io.iotuplink.http.ApiAuthentication;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Dockerfile builds what the README says (no Docker engine here to build it): a Temurin 17 JRE, the jar the
 * build makes, a non-root user, the data on a volume, the health endpoint as its HEALTHCHECK.
 */
class DockerfileTest {

    private static final Path DOCKERFILE = Path.of("Dockerfile");

    @Test
    void startsFromAMaintainedJava17RuntimeImage() {
        List<String> from = arguments("FROM");
        assertEquals(1, from.size(), "one stage");
        assertTrue(from.get(0).startsWith("eclipse-temurin:17-jre"), from.get(0));
    }

    @Test
    void runsTheJarTheBuildMakesAsANonRootUser() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        Matcher finalName = Pattern.compile("<finalName>(.+?)</finalName>").matcher(pom);
        assertTrue(finalName.find());
        String jar = "target/" + finalName.group(1) + ".jar";
        String copy = arguments("COPY").get(0);
        assertTrue(copy.startsWith(jar + " "), "COPY " + copy);
        Path installed = Path.of(copy.substring(jar.length() + 1).trim());
        // the entry point is the launcher, copied beside the jar: it runs the iot-uplink.jar beside itself
        String launcher = arguments("COPY").get(1);
        assertTrue(launcher.startsWith("bin/iot-uplink "), "COPY " + launcher);
        Path launcherInstalled = Path.of(launcher.substring("bin/iot-uplink ".length()).trim());
        assertEquals("[\"" + launcherInstalled + "\"]", entrypoint());
        assertEquals(launcherInstalled.resolveSibling("iot-uplink.jar"), installed);
        assertTrue(Files.readString(Path.of("bin", "iot-uplink")).contains("\"$here/iot-uplink.jar\""),
                "the launcher looks for the jar beside itself");
        assertTrue(Files.isExecutable(Path.of("bin", "iot-uplink")), "COPY keeps the launcher executable");
        String context = Files.readString(Path.of(".dockerignore"));
        assertTrue(context.contains("!" + jar) && context.contains("!bin/iot-uplink"), "both in the build context");

        int uid = imageUserId();
        assertTrue(uid > 0, "not root");
        assertTrue(arguments("RUN").get(0).contains("--uid " + uid), "the user exists in the image");
    }

    @Test
    void keepsTheOutboxAndInboxOnTheVolume() {
        Map<String, String> env = env();
        String volume = arguments("VOLUME").get(0).replaceAll("[\\[\\]\"]", "").trim();
        assertTrue(env.get("UPLINK_DATA_DIR").startsWith(volume + "/"));
        assertTrue(env.get("UPLINK_INBOX").startsWith(volume + "/"));
        assertTrue(arguments("RUN").get(0).contains("chown -R uplink:uplink " + volume), "the user can write it");
    }

    @Test
    void healthCheckAsksCamelMainsLivenessOnTheServedPort() {
        Map<String, String> env = env();
        String check = arguments("HEALTHCHECK").get(0);
        assertTrue(check.contains("http://127.0.0.1:${CAMEL_SERVER_PORT}/observe/health/live"), check);
        assertEquals("0.0.0.0", env.get("CAMEL_SERVER_HOST"), "reachable from outside the container");
        assertEquals(env.get("CAMEL_SERVER_PORT"), arguments("EXPOSE").get(0));
    }

    @Test
    void theApiTokenIsMountedAtRunTimeNeverBakedIntoTheImage() throws IOException {
        Map<String, String> env = env();
        assertFalse(ApiAuthentication.isLoopback(env.get("CAMEL_SERVER_HOST")), "bound beyond loopback: a token is due");
        assertFalse(env.containsKey("UPLINK_API_TOKEN"), "a token in the image is everyone's who has the image");
        assertFalse(env.containsKey("UPLINK_API_TOKEN_FILE"), "the run command says where it is mounted");

        // the run command in the Dockerfile's first lines mounts the token read-only and points the variable at it
        String header = Files.readString(DOCKERFILE).lines().takeWhile(l -> l.startsWith("#"))
                .collect(Collectors.joining("\n"));
        Matcher file = Pattern.compile("-e UPLINK_API_TOKEN_FILE=(\\S+)").matcher(header);
        assertTrue(file.find(), header);
        assertTrue(header.contains(":" + file.group(1) + ":ro\""), "mounted read-only at " + file.group(1));
    }

    @Test
    void everyVariableItSetsIsOneTheBundleDocuments() {
        Set<String> unknown = new TreeSet<>(env().keySet());
        unknown.removeAll(Manifests.documentedSettings());
        assertEquals(Set.of(), unknown);
    }

    /** The image's name, as the Dockerfile's build command in its first lines tags it. */
    static String imageRepository() {
        try {
            Matcher tag = Pattern.compile("docker build -t ([a-z0-9-]+):").matcher(Files.readString(DOCKERFILE));
            assertTrue(tag.find(), "the Dockerfile says how to build it");
            return tag.group(1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the image runs. */
    static String entrypoint() {
        return arguments("ENTRYPOINT").get(0);
    }

    /** The numeric user the image runs as. */
    static int imageUserId() {
        List<String> user = arguments("USER");
        assertEquals(1, user.size());
        return Integer.parseInt(user.get(0).split(":")[0]);
    }

    private static Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        for (String arguments : arguments("ENV")) {
            Matcher pair = Pattern.compile("([A-Z0-9_]+)=(\\S+)").matcher(arguments);
            while (pair.find()) {
                env.put(pair.group(1), pair.group(2));
            }
        }
        return env;
    }

    /** The arguments of every {@code instruction}, continuation lines joined, comments left out. */
    private static List<String> arguments(String instruction) {
        String text;
        try {
            text = Files.readString(DOCKERFILE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> found = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : text.split("\n")) {
            if (line.strip().startsWith("#")) {
                continue;
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            current.append(line);
            String joined = current.toString().strip();
            current.setLength(0);
            if (joined.startsWith(instruction + " ")) {
                found.add(joined.substring(instruction.length() + 1).replaceAll("\\s+", " ").trim());
            }
        }
        return found;
    }
}
