package io.iotuplink.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigReaderTest {

    private final Map<String, String> properties = new HashMap<>(Map.of(
            "aws.iot.endpoint", "abc-ats.iot.eu-west-1.amazonaws.com",
            "aws.iot.cert-path", "/certs/device.pem.crt",
            "aws.iot.key-path", "/certs/private.pem.key",
            "aws.iot.ca-path", "/certs/AmazonRootCA1.pem"));

    private ConfigReader.Result read(boolean local) {
        return ConfigReader.read(key -> Optional.ofNullable(properties.get(key)), local);
    }

    @Test
    void environmentVariableNamesFollowCamelsMapping() {
        assertEquals("AWS_IOT_CERT_PATH", ConfigReader.envName("aws.iot.cert-path"));
        assertEquals("UPLINK_MQTT_KEEP_ALIVE", ConfigReader.envName("uplink.mqtt.keep-alive"));
    }

    @Test
    void theDesignDefaultsApply() {
        UplinkConfig config = read(false).orThrow();

        assertEquals(8883, config.port());
        assertEquals("bombercat/telemetry", config.telemetryTopic());
        assertEquals("bombercat/events", config.eventsTopic());
        assertEquals("bombercat/commands/#", config.commandsFilter());
        assertEquals(Duration.ofSeconds(25), config.keepaliveInterval());
        assertEquals(Duration.ofSeconds(30), config.mqtt().keepAlive());
        assertTrue(config.mqtt().cleanStart());
        assertEquals(Path.of("./data"), config.dataDir());
        assertEquals(5, config.reconnect().maxAttempts());
        assertEquals(Duration.ofSeconds(60), config.reconnect().maxDelay());
        assertEquals("ssl://abc-ats.iot.eu-west-1.amazonaws.com:8883", config.serverUri());
    }

    @Test
    void theInboxSettlesForTwoSecondsAndTakesFilesUpTo64Mb() {
        InboxSettings inbox = read(false).orThrow().inboxSettings();

        assertEquals(Duration.ofSeconds(2), inbox.settleTime());
        assertEquals(64L << 20, inbox.maxFileSize());
    }

    @Test
    void badInboxBoundsAreRefusedNamingTheVariable() {
        properties.put("uplink.inbox.settle-time", "soon");
        properties.put("uplink.inbox.max-file-size", "0");

        List<String> problems = read(false).problems();
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("UPLINK_INBOX_SETTLE_TIME=soon: ")),
                problems.toString());
        assertTrue(problems.contains("UPLINK_INBOX_MAX_FILE_SIZE=0: must be at least 1 byte"), problems.toString());
    }

    @Test
    void deadLettersAreCappedAtTenThousandAnd64MbAndBadCapsAreRefusedNamingTheVariable() {
        assertEquals(new DeadLetterLimits(10_000, 64L << 20), read(false).orThrow().deadLetters());
        properties.put("uplink.dead-letter.max-bytes", "1GB");
        assertEquals(1L << 30, read(false).orThrow().deadLetters().maxBytes());

        properties.put("uplink.dead-letter.max-readings", "lots");
        properties.put("uplink.dead-letter.max-bytes", "0");
        List<String> problems = read(false).problems();
        assertTrue(problems.contains("UPLINK_DEAD_LETTER_MAX_READINGS=lots: not a whole number"), problems.toString());
        assertTrue(problems.contains("UPLINK_DEAD_LETTER_MAX_BYTES=0: must be at least 1 byte"), problems.toString());
    }

    @Test
    void commandsRunOneAtATimeWithAHundredWaitingAndBadBoundsAreRefusedNamingTheVariable() {
        assertEquals(new CommandLimits(1, 100), read(false).orThrow().commands());

        properties.put("uplink.commands.concurrency", "0");
        properties.put("uplink.commands.queue-size", "many");

        List<String> problems = read(false).problems();
        assertTrue(problems.contains("UPLINK_COMMANDS_CONCURRENCY=0: must be between 1 and 64"), problems.toString());
        assertTrue(problems.contains("UPLINK_COMMANDS_QUEUE_SIZE=many: not a whole number"), problems.toString());
    }

    @Test
    void thePortInTheEndpointWins() {
        properties.put("aws.iot.endpoint", "broker.local:9883");
        properties.put("aws.iot.port", "443");

        assertEquals(9883, read(false).orThrow().port());
    }

    @Test
    void clientIdAndDeviceIdDefaultToEachOther() {
        properties.put("device.id", "bombercat-001");
        UplinkConfig fromDevice = read(false).orThrow();
        assertEquals("bombercat-001", fromDevice.clientId());

        properties.remove("device.id");
        properties.put("aws.iot.client-id", "bombercat-device-001");
        UplinkConfig fromClient = read(false).orThrow();
        assertEquals("bombercat-device-001", fromClient.deviceId());
    }

    @Test
    void aClientIdOverTheAwsLimitIsRefused() {
        properties.put("aws.iot.client-id", "x".repeat(129));

        assertTrue(read(false).problems().get(0).startsWith("AWS_IOT_CLIENT_ID=xxx"));
        properties.put("aws.iot.client-id", "$aws");
        assertTrue(read(false).problems().get(0).contains("may not start with '$'"));
    }

    @Test
    void durationsAcceptTheShortForms() {
        properties.put("uplink.keepalive-interval", "1m");
        properties.put("uplink.mqtt.publish-timeout", "500ms");

        UplinkConfig config = read(false).orThrow();

        assertEquals(Duration.ofMinutes(1), config.keepaliveInterval());
        assertEquals(Duration.ofMillis(500), config.mqtt().publishTimeout());
    }

    @Test
    void zeroKeepaliveIntervalIsAllowedButAKeepAliveOutsideAwsRangeIsNot() {
        properties.put("uplink.keepalive-interval", "0");
        properties.put("uplink.mqtt.keep-alive", "1201s");

        ConfigReader.Result result = read(false);

        assertEquals(Duration.ZERO, result.config().keepaliveInterval());
        assertEquals(1, result.problems().size());
        assertTrue(result.problems().get(0).startsWith("UPLINK_MQTT_KEEP_ALIVE=1201s: must be between 30s and 20m"));
    }

    @Test
    void theFileModeIsPrivateByDefaultAndAnExecutableModeIsNamedAsTheProblem() {
        assertEquals("600", read(false).orThrow().fileMode().fileOctal());
        properties.put("uplink.file-mode", "755");

        ConfigReader.Result result = read(false);

        assertEquals(List.of("UPLINK_FILE_MODE=755: a data file is not a program; leave out the execute bits"
                + " (600, 640)"), result.problems());
    }

    @Test
    void localModeNeedsNoAwsSettingsAndUsesTheThrowawayPki() {
        properties.clear();
        properties.put("uplink.data-dir", "/var/lib/uplink");

        UplinkConfig config = read(true).orThrow();

        assertEquals("localhost", config.endpointHost());
        assertEquals(Path.of("/var/lib/uplink/local-pki/private.pem.key"), config.keyPath());
    }

    @Test
    void everyMissingSettingIsReportedAtOnce() {
        properties.clear();

        ConfigReader.Result result = read(false);

        assertEquals(4, result.problems().size(), result.problems().toString());
        assertNull(result.config().certPath());
        assertFalse(result.problems().stream().anyMatch(p -> p.contains("null")));
    }

    @Test
    void aPublishRouteOfYourOwnMustExist() {
        assertEquals(ConfigReader.BUILT_IN_PUBLISH_ROUTE, read(false).orThrow().publishRoute());
        properties.put("uplink.publish-route", "/nowhere/publish.camel.yaml");

        assertTrue(read(false).problems().contains("UPLINK_PUBLISH_ROUTE=/nowhere/publish.camel.yaml: file not found"
                + " (copy routes/publish.camel.yaml from the project and edit it, or unset it for the built-in route)"),
                read(false).problems().toString());
    }

    @Test
    void theHttpLimitsHaveDefaultsAndRefuseNonsense() {
        HttpLimits defaults = read(false).orThrow().http();
        assertEquals(4L << 20, defaults.maxBodySize());
        assertEquals(Duration.ofSeconds(30), defaults.idleTimeout());
        assertEquals(Duration.ofSeconds(60), defaults.requestTimeout());

        properties.put("uplink.http.max-body-size", "lots");
        properties.put("uplink.http.idle-timeout", "0");

        List<String> problems = read(false).problems();
        assertTrue(problems.contains("UPLINK_HTTP_MAX_BODY_SIZE=lots: not a size (write 1048576, 512KB, 64MB or 1GB)"),
                problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("UPLINK_HTTP_IDLE_TIMEOUT=0: must be between")),
                problems.toString());
    }
}
