package io.iotuplink.local;

import io.iotuplink.ConfigurationException;
import io.iotuplink.config.UplinkConfig;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The embedded broker of {@code --local}, as a Camel service: started before the connection, stopped after it, with
 * the seed's policy for the device, a second identity to send commands with, and a log of every publish it accepts,
 * so a newcomer sees the whole flow without an AWS account.
 */
public final class LocalBroker extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger("io.iotuplink.local.broker");
    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_./:=@%+-]+");

    private final UplinkConfig config;
    private final LocalPki pki;
    private final String deviceName;
    private EmbeddedBroker broker;

    private LocalBroker(UplinkConfig config, LocalPki pki, String deviceName) {
        this.config = config;
        this.pki = pki;
        this.deviceName = deviceName;
    }

    /** Creates the throwaway PKI the configuration's default paths point at. */
    public static LocalBroker prepare(UplinkConfig config) {
        LocalPki pki;
        String deviceName;
        try {
            pki = new LocalPki(config.localPkiDir()).ensure(config.clientId());
            deviceName = pki.deviceName();
        } catch (RuntimeException e) {
            throw new ConfigurationException("UPLINK_DATA_DIR=" + config.dataDir() + ": cannot create the local PKI ("
                    + e.getMessage() + ")");
        }
        if (deviceName.equals(LocalPki.OPERATOR)) {
            throw new ConfigurationException(pki.deviceCertificate() + ": the device certificate is named '"
                    + LocalPki.OPERATOR + "', the name --local gives the certificate that sends commands: set"
                    + " AWS_IOT_CLIENT_ID (or DEVICE_ID) to another name and delete " + config.localPkiDir()
                    + " to issue a new device certificate");
        }
        return new LocalBroker(config, pki, deviceName);
    }

    /** Who may do what: the device (its certificate's CN) gets the seed's policy, the operator sends commands. */
    static Map<String, TopicPolicy> policies(String deviceName, String topicPrefix) {
        return Map.of(deviceName, TopicPolicy.device(topicPrefix), LocalPki.OPERATOR,
                TopicPolicy.operator(topicPrefix));
    }

    @Override
    protected void doStart() {
        broker = EmbeddedBroker.start(new EmbeddedBroker.Settings(config.dataDir().resolve("local-broker"),
                config.port(), pki.brokerKeyStore(), pki.brokerTrustStore(), pki.storePassword(), 100, true),
                new SeedPolicyExtension(policies(deviceName, config.topicPrefix())));
        LOG.info("Embedded MQTT 5 broker listening on {} (TLS, client certificates from {})", config.endpoint(),
                pki.caCertificate());
        LOG.info("Watch the topics and send the bundle a ping with the operator's certificate (the device's may not"
                + " publish commands; mosquitto_sub and mosquitto_pub are in the Debian package mosquitto-clients):\n{}",
                guide(pki, config.port(), config.topicPrefix()));
    }

    /** Ready-to-paste mosquitto_sub and mosquitto_pub lines with the operator's certificate, one per line. */
    private static String guide(LocalPki pki, int port, String topicPrefix) {
        String tls = "-V mqttv5 -h localhost -p " + port + " --cafile " + shell(pki.caCertificate()) + " --cert "
                + shell(pki.operatorCertificate()) + " --key " + shell(pki.operatorKey());
        return "  mosquitto_sub " + tls + " -t " + shell(topicPrefix + "/#") + " -v\n"
                + "  mosquitto_pub " + tls + " -q 1 -t " + shell(topicPrefix + "/commands/ping")
                + " -m '{\"correlation_id\":\"c-1\"}'";
    }

    private static String shell(Path file) {
        return shell(file.toAbsolutePath().normalize().toString());
    }

    /** Quoted for a POSIX shell when it holds anything but plain path characters. */
    private static String shell(String word) {
        return SHELL_SAFE.matcher(word).matches() ? word : "'" + word.replace("'", "'\\''") + "'";
    }

    @Override
    protected void doStop() {
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }
}
