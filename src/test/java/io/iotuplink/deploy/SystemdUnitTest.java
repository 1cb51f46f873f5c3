package io.iotuplink.deploy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The systemd unit in {@code examples/systemd} runs what its install lines put in place, as docs/deployment.md says:
 * the launcher beside the jar, the data on a path it may write, no restart loop on a configuration error.
 */
class SystemdUnitTest {

    private static final Path UNIT = Path.of("examples", "systemd", "iot-uplink.service");

    @Test
    void startsTheLauncherItsInstallLinesPutBesideTheJar() throws IOException {
        String unit = Files.readString(UNIT);
        Path launcher = Path.of(setting(unit, "ExecStart"));
        assertTrue(unit.contains("install -D -m 755 bin/iot-uplink " + launcher + "\n"), unit);
        assertTrue(unit.contains("install -m 644 target/iot-uplink.jar " + launcher.resolveSibling("iot-uplink.jar")
                + "\n"), "the launcher finds the jar beside itself");
        assertTrue(unit.contains("-m 640 -g " + setting(unit, "Group") + " iot-uplink.env "
                + setting(unit, "EnvironmentFile") + " "), "the settings, readable by the service's group only");
        assertTrue(unit.contains("--home-dir " + setting(unit, "WorkingDirectory") + " "), unit);
    }

    @Test
    void writesOnlyUnderItsDataPathAndSetsOnlyDocumentedVariables() throws IOException {
        String unit = Files.readString(UNIT);
        Map<String, String> env = new LinkedHashMap<>();
        Matcher pair = Pattern.compile("([A-Z0-9_]+)=(\\S+)").matcher(setting(unit, "Environment"));
        while (pair.find()) {
            env.put(pair.group(1), pair.group(2));
        }
        Set<String> unknown = new TreeSet<>(env.keySet());
        unknown.removeAll(Manifests.documentedSettings());
        assertEquals(Set.of(), unknown);
        assertEquals("strict", setting(unit, "ProtectSystem"));
        String writable = setting(unit, "ReadWritePaths");
        assertTrue(env.get("UPLINK_DATA_DIR").startsWith(writable + "/"), "the outbox and the class data archive");
        assertTrue(env.get("UPLINK_INBOX").startsWith(writable + "/"));
    }

    @Test
    void aConfigurationErrorIsNotRestartedOverAndOver() throws IOException {
        String unit = Files.readString(UNIT);
        assertEquals("on-failure", setting(unit, "Restart"));
        assertEquals("2", setting(unit, "RestartPreventExitStatus"), "the bundle's exit code for bad settings");
    }

    private static String setting(String unit, String key) {
        Matcher line = Pattern.compile("(?m)^" + key + "=(.+)$").matcher(unit);
        assertTrue(line.find(), key + " in " + UNIT);
        return line.group(1).trim();
    }
}
