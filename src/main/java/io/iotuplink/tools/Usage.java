package io.iotuplink.tools;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** What {@code --help} and {@code --version} print. */
public final class Usage {

    private Usage() {
    }

    /** The commands, the key variables and where the documentation is. */
    public static String text() {
        return """
                Usage: iot-uplink [--local]                 run the bundle (bin/iot-uplink, or java -jar iot-uplink.jar)
                       iot-uplink outbox status             what waits in the outbox (JSON): per lane and kind, the
                                                            oldest and newest, its target, its books
                       iot-uplink outbox list [--lane priority|bulk] [--limit N]
                                                            the waiting readings, one JSON object a line
                       iot-uplink outbox retarget [--yes]   bind the waiting readings to the configured
                                                            AWS_IOT_ENDPOINT and AWS_IOT_CLIENT_ID (without --yes:
                                                            show what would move, exit 1)
                       iot-uplink outbox drop (--older-than 2d | --lane bulk | --all) [--yes]
                                                            remove waiting readings, counted as dropped
                       iot-uplink dead-letter list          the dead letters, one JSON object a line
                       iot-uplink dead-letter replay (--all | MESSAGE_ID...)
                                                            put dead letters back into the outbox as they were
                       iot-uplink --version | --help

                Publishes device telemetry and events to AWS IoT Core over MQTT 5 with mutual TLS, through a
                durable outbox. The commands read the bundle's configuration and take its data dir's lock: stop
                the bundle first (they exit 2 naming it while it runs); add --local for the --local outbox.

                Key variables: AWS_IOT_ENDPOINT, AWS_IOT_CERT_PATH, AWS_IOT_KEY_PATH, AWS_IOT_CA_PATH,
                AWS_IOT_CLIENT_ID, DEVICE_ID, UPLINK_DATA_DIR (./data), UPLINK_INBOX (./inbox),
                UPLINK_TOPIC_PREFIX, CAMEL_SERVER_PORT (8080), UPLINK_DEAD_LETTER_MAX_READINGS,
                UPLINK_DEAD_LETTER_MAX_BYTES; every key: docs/configuration.md.

                  --local   start an embedded MQTT 5 broker with throwaway certificates and publish to it
                            (no AWS account needed)

                Documentation: the docs/ directory of the project's source (configuration.md, operations.md,
                delivery.md, deployment.md, inputs.md) and its README. Exit codes: 0 done, 1 not done (the
                message says why), 2 a wrong command line or configuration, or the data dir in use.
                """;
    }

    /** The bundle's, Camel's and Java's versions, one a line. */
    public static String versions() {
        Properties built = new Properties();
        try (InputStream in = Usage.class.getResourceAsStream("/iot-uplink-version.properties")) {
            if (in != null) {
                built.load(in);
            }
        } catch (IOException e) {
            // said as unknown below
        }
        return "iot-uplink " + built.getProperty("version", "(unknown)") + "\n"
                + "Apache Camel " + built.getProperty("camel", "(unknown)") + "\n"
                + "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")";
    }
}
