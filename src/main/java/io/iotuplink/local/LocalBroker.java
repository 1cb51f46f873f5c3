package io.iotuplink.local;

import io.iotuplink.ConfigurationException;
import io.iotuplink.config.UplinkConfig;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded broker of {@code --local}, as a Camel service: started before the connection, stopped after it, and
 * logging every publish it receives so a newcomer sees the whole flow without an AWS account.
 */
public final class LocalBroker extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger("io.iotuplink.local.broker");
    private static final int LOGGED_PAYLOAD_CHARS = 400;

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
                () -> BrokerPolicy.seed(config.topicPrefix()), new BrokerEvents() {
                    @Override
                    public void connected(ReceivedConnect connect) {
                        LOG.info("broker accepted {} ({}, certificate {}, keep-alive {}s)", connect.clientId(),
                                connect.tlsProtocol(), connect.certificateSubject(), connect.keepAliveSeconds());
                    }

                    @Override
                    public void received(ReceivedPublish publish) {
                        log(publish);
                    }
                });
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

    private static void log(ReceivedPublish publish) {
        String payload = publish.payloadText();
        if (payload.length() > LOGGED_PAYLOAD_CHARS) {
            payload = payload.substring(0, LOGGED_PAYLOAD_CHARS) + "...";
        }
        LOG.info("broker received {} QoS {} message_id={}: {}", publish.topic(), publish.qos(),
                publish.userProperties().get("message_id"), payload);
    }
}
