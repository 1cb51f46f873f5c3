package io.iotuplink.local;

import io.iotuplink.ConfigurationException;
import io.iotuplink.config.UplinkConfig;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded broker of {@code --local}, as a Camel service: started before the connection, stopped after it, with
 * the seed's policy and a log of every publish it accepts, so a newcomer sees the whole flow without an AWS account.
 */
public final class LocalBroker extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger("io.iotuplink.local.broker");

    private final UplinkConfig config;
    private final LocalPki pki;
    private EmbeddedBroker broker;

    private LocalBroker(UplinkConfig config, LocalPki pki) {
        this.config = config;
        this.pki = pki;
    }

    /** Creates the throwaway PKI the configuration's default paths point at. */
    public static LocalBroker prepare(UplinkConfig config) {
        try {
            return new LocalBroker(config, new LocalPki(config.localPkiDir()).ensure(config.clientId()));
        } catch (RuntimeException e) {
            throw new ConfigurationException("UPLINK_DATA_DIR=" + config.dataDir() + ": cannot create the local PKI ("
                    + e.getMessage() + ")");
        }
    }

    @Override
    protected void doStart() {
        broker = EmbeddedBroker.start(new EmbeddedBroker.Settings(config.dataDir().resolve("local-broker"),
                config.port(), pki.brokerKeyStore(), pki.brokerTrustStore(), pki.storePassword(), 100, true),
                new SeedPolicyExtension(TopicPolicy.seed(config.topicPrefix())));
        LOG.info("Embedded MQTT 5 broker listening on {} (TLS, client certificates from {})", config.endpoint(),
                pki.caCertificate());
    }

    @Override
    protected void doStop() {
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }
}
