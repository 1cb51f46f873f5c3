package io.iotuplink.config;

import io.iotuplink.extension.RoutesDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A variable with the bundle's prefixes that it does not read is named, with the closest one it does. */
class UnknownVariablesTest {

    @Test
    void aMisspeltVariableIsNamedWithTheClosestKnownOne() {
        Map<String, String> environment = Map.of("UPLINK_COMPRES", "gzip", "UPLINK_BATCH_SIZE", "100",
                "UPLINK_COMPRESS", "none", "AWS_IOT_ENDPOINTT", "example.com", "HOME", "/root", "CAMEL_FOO", "x");

        List<String> warnings = UnknownVariables.warnings(environment, Set.of("uplink.compress"));

        assertEquals(3, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("AWS_IOT_ENDPOINTT is set, but iot-uplink has no such setting and"
                + " ignores it (did you mean AWS_IOT_ENDPOINT?"), warnings.get(0));
        assertTrue(warnings.get(1).startsWith("UPLINK_BATCH_SIZE is set"), warnings.get(1));
        assertTrue(warnings.get(2).contains("UPLINK_COMPRES is set, but iot-uplink has no such setting and ignores"
                + " it (did you mean UPLINK_COMPRESS?"), warnings.get(2));
    }

    @Test
    void keysApplicationPropertiesDocumentsAndTheLoggingVariablesAreKnown() {
        Map<String, String> environment = Map.of("AWS_IOT_ENDPOINT", "example.com", "UPLINK_LOCAL_PORT", "8883",
                "UPLINK_LOG_FORMAT", "json", "UPLINK_JVM_OPTIONS", "-Xmx64m", "UPLINK_HTTP_MAX_BODY_SIZE", "1MB");

        assertEquals(List.of(), UnknownVariables.warnings(environment, Set.of()));
    }

    @Test
    void theClosestNameTakesTheFewestEdits() {
        assertEquals(1, ClosestName.editDistance("UPLINK_COMPRES", "UPLINK_COMPRESS"));
        assertEquals("direct:telemetry",
                ClosestName.among("direct:telemtry", Set.of("direct:event", "direct:telemetry")).orElseThrow());
    }

    @Test
    void aSettingTheUsersRoutesNameAsAPlaceholderIsKnown(@TempDir Path routes) throws IOException {
        Files.writeString(routes.resolve("boiler.camel.yaml"), "- route:\n    from:\n"
                + "      uri: timer:boiler?period={{uplink.boiler.period:5000}}\n      steps:\n"
                + "        - to: {uri: 'http://{{uplink.boiler-host}}/temperature'}\n");

        assertEquals(List.of(), UnknownVariables.warnings(Map.of("UPLINK_BOILER_HOST", "10.0.0.7",
                "UPLINK_BOILER_PERIOD", "1000"), RoutesDirectory.placeholders(routes)));
    }
}
