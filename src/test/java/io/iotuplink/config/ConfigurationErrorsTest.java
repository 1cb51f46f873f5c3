package io.iotuplink.config;

import io.iotuplink.UplinkBundle;
import io.iotuplink.http.ApiAuthentication;
import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.PortTakenOnStart;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad configuration stops the start with exit code 2 and one line per problem, naming the variable and the file.
 * Every case whose assertion is about the whole output (no stack trace, no key material, the header, the exit code)
 * runs the application as a process; the cases that only check a problem's line take that line from the same
 * check inside this JVM ({@link #problems}), which is what the process prints, one line each, and saves a JVM start.
 */
class ConfigurationErrorsTest {

    @TempDir
    static Path dir;
    static TestBroker.DeviceFiles device;
    static TestBroker.DeviceFiles otherDevice;

    @BeforeAll
    static void pki() {
        var pki = io.iotuplink.local.ThrowawayPki.create("config test CA");
        pki.writeCa(dir.resolve("ca.pem"));
        device = write(pki.issueDevice("bombercat-1", io.iotuplink.local.ThrowawayPki.KeyType.RSA), "one");
        otherDevice = write(pki.issueDevice("bombercat-2", io.iotuplink.local.ThrowawayPki.KeyType.RSA), "two");
    }

    private static TestBroker.DeviceFiles write(io.iotuplink.local.ThrowawayPki.Issued issued, String name) {
        issued.writeCertificate(dir.resolve(name + ".pem.crt"));
        issued.writeTraditionalKey(dir.resolve(name + ".pem.key"));
        return new TestBroker.DeviceFiles(dir.resolve(name + ".pem.crt"), dir.resolve(name + ".pem.key"),
                dir.resolve("ca.pem"));
    }

    private static Map<String, String> valid() {
        return BundleProcess.environment(validProperties());
    }

    private static Map<String, String> validProperties() {
        return RunningBundle.properties("localhost:" + TestBroker.freePort(), device, dir.resolve("data"));
    }

    /**
     * The problems that stop the bundle from starting with {@code properties}, as {@code Application} finds them
     * (the configuration's failure, else the start's problem) and prints them, one per line after its header.
     */
    private static List<String> problems(Map<String, String> properties) {
        UplinkBundle bundle = new UplinkBundle(false);
        Main main = new Main();
        properties.forEach(main::addOverrideProperty);
        main.configure().addRoutesBuilder(bundle);
        try {
            main.start();
        } catch (Exception e) {
            if (bundle.configurationFailure() != null) {
                return bundle.configurationFailure().problems();
            }
            return bundle.startProblem(e).map(List::of)
                    .orElseThrow(() -> new AssertionError("the start failed, not for the configuration: " + e, e));
        } finally {
            main.stop();
        }
        throw new AssertionError("the bundle started with " + properties);
    }

    private static String refusedStart(Map<String, String> env) {
        try (BundleProcess bundle = BundleProcess.start(dir.resolve("run"), env, BundleProcess.SHORT_LIVED_JVM)) {
            int exit = bundle.waitForExit(Duration.ofSeconds(60));
            assertEquals(2, exit, bundle.output());
            return bundle.output();
        }
    }

    @Test
    void nothingConfiguredNamesEveryRequiredVariable() {
        Map<String, String> env = new HashMap<>();
        env.put("CAMEL_SERVER_PORT", String.valueOf(TestBroker.freePort()));

        String output = refusedStart(env);

        assertTrue(output.contains("AWS_IOT_ENDPOINT is not set"), output);
        assertTrue(output.contains("AWS_IOT_CERT_PATH is not set"), output);
        assertTrue(output.contains("AWS_IOT_KEY_PATH is not set"), output);
        assertTrue(output.contains("AWS_IOT_CA_PATH is not set"), output);
        assertTrue(output.contains("--local"), "points a newcomer at --local: " + output);
    }

    @Test
    void missingFilesAreNamedWithTheirPath() {
        Map<String, String> properties = validProperties();
        properties.put("aws.iot.cert-path", "/certs/missing.pem.crt");
        properties.put("aws.iot.key-path", "/certs/private.pem.key");

        List<String> problems = problems(properties);

        assertTrue(problems.stream().anyMatch(line -> line.contains(
                "AWS_IOT_CERT_PATH=/certs/missing.pem.crt: file not found")), problems.toString());
        assertTrue(problems.stream().anyMatch(line -> line.contains(
                "AWS_IOT_KEY_PATH=/certs/private.pem.key: file not found")), problems.toString());
    }

    @Test
    void aFileThatIsNotAPemCertificateIsNamedAndTheKeyNeverPrinted() throws IOException {
        Map<String, String> env = valid();
        // the private key given where the certificate belongs: its content must not be echoed
        env.put("AWS_IOT_CERT_PATH", device.key().toString());

        String output = refusedStart(env);

        assertTrue(output.contains("AWS_IOT_CERT_PATH=" + device.key() + ": not a PEM certificate"), output);
        for (String line : Files.readAllLines(device.key())) {
            if (!line.startsWith("-----")) {
                assertFalse(output.contains(line), "key material printed: " + line);
            }
        }
    }

    @Test
    void garbageWhereTheKeyBelongsIsNotAPemPrivateKey() throws IOException {
        Path garbage = Files.writeString(dir.resolve("garbage.pem.key"), "hello, I am not a key\n");
        Map<String, String> properties = validProperties();
        properties.put("aws.iot.key-path", garbage.toString());

        List<String> problems = problems(properties);

        assertTrue(problems.stream().anyMatch(line -> line.contains("AWS_IOT_KEY_PATH=" + garbage
                + ": not a PEM private key")), problems.toString());
    }

    @Test
    void aKeyOfAnotherCertificateDoesNotMatch() {
        Map<String, String> properties = validProperties();
        properties.put("aws.iot.key-path", otherDevice.key().toString());

        List<String> problems = problems(properties);

        assertTrue(problems.stream().anyMatch(line -> line.contains("AWS_IOT_KEY_PATH=" + otherDevice.key()
                + ": key does not match the certificate in AWS_IOT_CERT_PATH=" + device.certificate())),
                problems.toString());
    }

    @Test
    void badValuesAreEachNamed() {
        Map<String, String> env = valid();
        env.put("AWS_IOT_ENDPOINT", "ssl://example.com:8883");
        env.put("UPLINK_KEEPALIVE_INTERVAL", "often");
        env.put("UPLINK_MQTT_KEEP_ALIVE", "10s");
        env.put("UPLINK_TOPIC_PREFIX", "bomber#cat");

        // the process case: the header counts the problems, the exit code is 2
        String output = refusedStart(env);

        assertTrue(output.contains("AWS_IOT_ENDPOINT=ssl://example.com:8883: not a host name"), output);
        assertTrue(output.contains("UPLINK_KEEPALIVE_INTERVAL=often: 'often' is not a duration"), output);
        assertTrue(output.contains("UPLINK_MQTT_KEEP_ALIVE=10s: must be between 30s and 20m"), output);
        assertTrue(output.contains("UPLINK_TOPIC_PREFIX=bomber#cat"), output);
        assertTrue(output.contains("4 problems"), output);
        assertTrue(output.startsWith("iot-uplink cannot start: the configuration has 4 problems:"),
                "the problem comes first: " + output);
    }

    @Test
    void aRouteFileWithAnUnknownKeyNamesTheFileTheRouteAndTheLine() throws IOException {
        Path routes = Files.createDirectories(dir.resolve("broken-routes"));
        Files.writeString(routes.resolve("mine.camel.yaml"),
                "- route:\n    id: boiler-poll\n    from:\n      uri: timer:x\n      stepz: []\n");
        Map<String, String> env = valid();
        env.put("UPLINK_ROUTES_DIR", routes.toString());

        String output = refusedStart(env);

        assertOneProblem(output, "UPLINK_ROUTES_DIR=" + routes + ": mine.camel.yaml, route 'boiler-poll', line 5:"
                + " unsupported field: stepz (check");
    }

    @Test
    void aRouteFileThatIsNotYamlNamesTheLine() throws IOException {
        Path routes = Files.createDirectories(dir.resolve("not-yaml-routes"));
        Files.writeString(routes.resolve("mine.camel.yaml"),
                "- route:\n    id: boiler-poll\n    from:\n      uri: timer:x\n     steps: [\n");
        Map<String, String> env = valid();
        env.put("UPLINK_ROUTES_DIR", routes.toString());

        String output = refusedStart(env);

        assertOneProblem(output, "UPLINK_ROUTES_DIR=" + routes + ": mine.camel.yaml, route 'boiler-poll', line 5,"
                + " column 6: not valid YAML");
    }

    @Test
    void aRouteNamingAnUnknownComponentNamesItAndTheLine() throws IOException {
        Path routes = Files.createDirectories(dir.resolve("unknown-component-routes"));
        Files.writeString(routes.resolve("boiler.camel.yaml"), """
                - route:
                    id: boiler-poll
                    from:
                      uri: timer:boiler
                      steps:
                        - to:
                            uri: timmer:boiler
                """);
        Map<String, String> env = valid();
        env.put("UPLINK_ROUTES_DIR", routes.toString());

        String output = refusedStart(env);

        assertOneProblem(output, "UPLINK_ROUTES_DIR=" + routes + ": boiler.camel.yaml, route 'boiler-poll', line 6:"
                + " unknown component 'timmer' (is the name right, or is its camel-timmer jar missing");
    }

    @Test
    void aPortThatIsNoNumberOrOutOfRangeIsNamed() {
        Map<String, String> properties = validProperties();
        properties.put("camel.server.port", "abc");
        properties.put("aws.iot.port", "80800");

        assertEquals(List.of("AWS_IOT_PORT=80800: not a port; write a whole number from 1 to 65535",
                "CAMEL_SERVER_PORT=abc: not a port; write a whole number from 1 to 65535"), problems(properties));
    }

    @Test
    void aRouteSendingToAnEndpointNoRouteConsumesNamesTheFileTheRouteAndTheEndpoint() throws IOException {
        Path routes = Files.createDirectories(dir.resolve("unconsumed-routes"));
        Files.writeString(routes.resolve("boiler.camel.yaml"), """
                - route:
                    id: boiler-poll
                    from:
                      uri: timer:boiler
                      steps:
                        - setBody:
                            constant: '{"temperature": 21}'
                        - to:
                            uri: direct:telemtry
                """);
        Map<String, String> properties = validProperties();
        properties.put("uplink.routes-dir", routes.toString());

        assertEquals(List.of("UPLINK_ROUTES_DIR=" + routes + ": boiler.camel.yaml, route 'boiler-poll', line 8:"
                + " sends to direct:telemtry, which no route consumes (did you mean direct:telemetry?)"),
                problems(properties));
    }

    @Test
    void aTakenHttpPortIsNamed() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Map<String, String> env = valid();
            env.put("CAMEL_SERVER_PORT", String.valueOf(taken.getLocalPort()));

            String output = refusedStart(env);

            assertOneProblem(output, "CAMEL_SERVER_PORT=" + taken.getLocalPort() + ": 127.0.0.1:"
                    + taken.getLocalPort() + " is already in use");
        }
    }

    @Test
    void aHttpHostThatIsNotThisMachinesIsNamed() {
        Map<String, String> properties = validProperties();
        // TEST-NET-1 (RFC 5737): never an address of this machine
        properties.put("camel.server.host", "192.0.2.1");
        properties.put(ApiAuthentication.TOKEN, "c0ffee".repeat(6));

        assertEquals(List.of("CAMEL_SERVER_HOST=192.0.2.1: not an address of this machine (Cannot assign requested"
                + " address): use 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of its own"
                + " addresses"), problems(properties));
    }

    /**
     * The race the check before the start cannot see (a second bundle starting at the same moment): the port is
     * free when the configuration is read, taken before the HTTP server binds it.
     */
    @Test
    void aHttpPortTakenWhileStartingStopsTheStart() {
        int port = TestBroker.freePort();
        Map<String, String> env = valid();
        env.put("CAMEL_SERVER_PORT", String.valueOf(port));
        env.put("CAMEL_MAIN_ROUTESBUILDERCLASSES", PortTakenOnStart.class.getName());

        String output = refusedStart(env);

        assertTrue(output.contains(PortTakenOnStart.TAKEN), output);
        assertFalse(output.contains("Vert.x HttpServer started"), output);
        assertOneProblem(output, "CAMEL_SERVER_PORT=" + port + ": 127.0.0.1:" + port + " is already in use");
    }

    /** The start failed on exactly one line holding {@code problem}, without Camel's text or a stack trace. */
    private static void assertOneProblem(String output, String problem) {
        assertTrue(output.contains(problem), output);
        assertTrue(output.contains("the configuration has a problem:"), output);
        assertFalse(output.contains("\tat "), "no stack trace: " + output);
        assertFalse(output.contains("Exception"), "no exception names: " + output);
    }

    @Test
    void aDataDirThatIsNotWritableIsNamedOnOneLine() throws Exception {
        Path readOnly = Files.createDirectories(dir.resolve("read-only-data"));
        // root writes anywhere chmod says it may not: only a read-only file system stops it
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", readOnly.toString())
                .redirectErrorStream(true).start();
        Assumptions.assumeTrue(mount.waitFor(10, TimeUnit.SECONDS) && mount.exitValue() == 0,
                "cannot mount a read-only tmpfs here (not root?)");
        try {
            Map<String, String> env = valid();
            env.put("UPLINK_DATA_DIR", readOnly.toString());

            String output = refusedStart(env);

            assertTrue(output.contains("UPLINK_DATA_DIR=" + readOnly + ": not writable"), output);
            assertEquals(1, output.lines().filter(l -> l.contains("UPLINK_DATA_DIR")).count(), output);
            assertFalse(output.contains("\tat "), "no stack trace: " + output);
        } finally {
            new ProcessBuilder("umount", readOnly.toString()).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
