package io.iotuplink.local;

import io.iotuplink.ConfigurationException;
import io.iotuplink.config.ConfigReader;
import io.iotuplink.config.UplinkConfig;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.regex.Pattern;

/**
 * The embedded broker of {@code --local}, as a Camel service: started before the connection, stopped after it, with
 * the seed's policy for the device, a second identity to send commands with, and a log of every publish it accepts,
 * so a newcomer sees the whole flow without an AWS account.
 */
public final class LocalBroker extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger("io.iotuplink.local.broker");
    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_./:=@%+-]+");

    /** The embedded broker's jar, beside the bundle's own ({@code mvn package} builds both). */
    static final String BROKER_JAR = "iot-uplink-local-broker.jar";

    private final UplinkConfig config;
    private final LocalPki pki;
    private final String deviceName;
    private final LocalBrokerService service;
    private AutoCloseable broker;

    private LocalBroker(UplinkConfig config, LocalPki pki, String deviceName, LocalBrokerService service) {
        this.config = config;
        this.pki = pki;
        this.deviceName = deviceName;
        this.service = service;
    }

    /**
     * Finds the embedded broker and creates the throwaway PKI the configuration's default paths point at.
     *
     * @throws ConfigurationException one line: the broker's jar is missing, or the PKI cannot be made
     */
    public static LocalBroker prepare(UplinkConfig config) {
        LocalBrokerService service = service();
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
        return new LocalBroker(config, pki, deviceName, service);
    }

    /**
     * The broker on the class path (the tests, an IDE), else in {@link #BROKER_JAR} beside the jar this class came
     * from, loaded in a class loader of its own whose parent is this one's (HiveMQ's libraries stay out of the bundle's
     * jar; Netty, Jackson and SLF4J are the bundle's).
     */
    static LocalBrokerService service() {
        ClassLoader own = LocalBroker.class.getClassLoader();
        Optional<LocalBrokerService> onClassPath = ServiceLoader.load(LocalBrokerService.class, own).findFirst();
        if (onClassPath.isPresent()) {
            return onClassPath.get();
        }
        Path jar = brokerJar();
        if (!Files.isRegularFile(jar)) {
            throw new ConfigurationException("--local: " + jar + " is missing: the embedded MQTT broker comes in a jar"
                    + " of its own, which mvn package builds beside " + jar.resolveSibling("iot-uplink.jar").getFileName()
                    + "; keep the two side by side (the container image has no --local)");
        }
        try {
            URLClassLoader loader = new URLClassLoader("local-broker", new URL[] {jar.toUri().toURL()}, own);
            return ServiceLoader.load(LocalBrokerService.class, loader).findFirst()
                    .orElseThrow(() -> new ConfigurationException("--local: " + jar + " holds no embedded broker:"
                            + " build it again with mvn package"));
        } catch (MalformedURLException e) {
            throw new ConfigurationException("--local: " + jar + ": " + e.getMessage());
        }
    }

    /** Where the broker's jar should be: beside the bundle's. */
    private static Path brokerJar() {
        try {
            Path own = Path.of(LocalBroker.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return own.resolveSibling(BROKER_JAR);
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of(BROKER_JAR).toAbsolutePath();
        }
    }

    /** The one line for a taken broker port: before the start, or when the broker finds it taken after all. */
    public static String portTaken(int port) {
        return ConfigReader.envName(ConfigReader.LOCAL_PORT) + "=" + port + ": 127.0.0.1:" + port
                + " is already in use (another --local bundle, or an MQTT broker?): stop it, or choose another port";
    }

    /** Who may do what: the device (its certificate's CN) gets the seed's policy, the operator sends commands. */
    static Map<String, TopicPolicy> policies(String deviceName, String topicPrefix) {
        return Map.of(deviceName, TopicPolicy.device(topicPrefix), LocalPki.OPERATOR,
                TopicPolicy.operator(topicPrefix));
    }

    @Override
    protected void doStart() {
        BrokerSettings settings = new BrokerSettings(config.dataDir().resolve("local-broker"), config.port(),
                pki.brokerKeyStore(), pki.brokerTrustStore(), pki.storePassword(), 100, true);
        Thread thread = Thread.currentThread();
        ClassLoader before = thread.getContextClassLoader();
        // the broker's own libraries (JAXB's runtime, say) are found through the context class loader of the thread
        // that starts it, which its threads inherit
        thread.setContextClassLoader(service.getClass().getClassLoader());
        try {
            broker = service.start(settings, policies(deviceName, config.topicPrefix()));
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof BindException) {
                throw new ConfigurationException(portTaken(config.port()));
            }
            throw e;
        } finally {
            thread.setContextClassLoader(before);
        }
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
    protected void doStop() throws Exception {
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }
}
