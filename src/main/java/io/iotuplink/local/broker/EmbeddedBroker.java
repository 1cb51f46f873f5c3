package io.iotuplink.local.broker;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.extension.sdk.api.ExtensionMain;
import io.iotuplink.local.BrokerSettings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An MQTT 5 broker inside this JVM (HiveMQ Community Edition embedded) that listens on {@code 127.0.0.1} with TLS
 * only; who may connect and publish is up to the HiveMQ extension the caller hands it.
 */
public final class EmbeddedBroker implements AutoCloseable {

    private static final long START_TIMEOUT_SECONDS = 60;
    private static final long STOP_TIMEOUT_SECONDS = 30;

    private final EmbeddedHiveMQ hivemq;
    private final int port;

    private EmbeddedBroker(EmbeddedHiveMQ hivemq, int port) {
        this.hivemq = hivemq;
        this.port = port;
    }

    /**
     * Starts the broker and waits for it (HiveMQ's start future never completes when a dependency is missing, so
     * the wait is bounded). {@code rules} is the broker's only extension: its authenticator, authorizer and
     * interceptors are the broker's security.
     */
    public static EmbeddedBroker start(BrokerSettings settings, ExtensionMain rules) {
        try {
            Path conf = Files.createDirectories(settings.workDir().resolve("conf"));
            Path data = Files.createDirectories(settings.workDir().resolve("data"));
            Path extensions = Files.createDirectories(settings.workDir().resolve("extensions"));
            Files.writeString(conf.resolve("config.xml"), configXml(settings), StandardCharsets.UTF_8);
            EmbeddedHiveMQ hivemq = EmbeddedHiveMQ.builder()
                    .withConfigurationFolder(conf)
                    .withDataFolder(data)
                    .withExtensionsFolder(extensions)
                    .withoutLoggingBootstrap()
                    .withEmbeddedExtension(EmbeddedExtension.builder()
                            .withId("iot-uplink-policy")
                            .withName("iot-uplink broker policy")
                            .withVersion("1")
                            .withAuthor("iot-uplink")
                            .withPriority(0)
                            .withStartPriority(1000)
                            .withExtensionMain(rules)
                            .build())
                    .build();
            hivemq.start().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return new EmbeddedBroker(hivemq, settings.port());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the embedded MQTT broker did not start within " + START_TIMEOUT_SECONDS
                    + "s (are the rocksdbjni and xodus jars on the class path?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the embedded MQTT broker", e);
        } catch (java.util.concurrent.ExecutionException e) {
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof BindException taken) {
                    throw new UncheckedIOException("127.0.0.1:" + settings.port() + " is already in use", taken);
                }
            }
            throw new IllegalStateException("the embedded MQTT broker failed to start on port " + settings.port()
                    + ": " + e.getCause(), e.getCause());
        } catch (IOException e) {
            throw new IllegalStateException("cannot prepare the embedded broker's folder " + settings.workDir(), e);
        }
    }

    public int port() {
        return port;
    }

    /** Stops the broker, waiting a bounded time; every client is disconnected. */
    @Override
    public void close() {
        try {
            hivemq.stop().get(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            hivemq.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new IllegalStateException("the embedded MQTT broker did not stop cleanly: " + e.getMessage(), e);
        }
    }

    private static String configXml(BrokerSettings s) {
        return """
                <?xml version="1.0"?>
                <hivemq>
                    <listeners>
                        <tls-tcp-listener>
                            <port>%d</port>
                            <bind-address>127.0.0.1</bind-address>
                            <tls>
                                <keystore>
                                    <path>%s</path>
                                    <password>%s</password>
                                    <private-key-password>%s</private-key-password>
                                </keystore>
                                <truststore>
                                    <path>%s</path>
                                    <password>%s</password>
                                </truststore>
                                <client-authentication-mode>%s</client-authentication-mode>
                                <protocols>
                                    <protocol>TLSv1.3</protocol>
                                    <protocol>TLSv1.2</protocol>
                                </protocols>
                            </tls>
                        </tls-tcp-listener>
                    </listeners>
                    <mqtt>
                        <receive-maximum>
                            <server-receive-maximum>%d</server-receive-maximum>
                        </receive-maximum>
                %s
                    </mqtt>
                    <persistence>
                        <mode>in-memory</mode>
                    </persistence>
                    <anonymous-usage-statistics>
                        <enabled>false</enabled>
                    </anonymous-usage-statistics>
                </hivemq>
                """.formatted(s.port(), s.keyStore().toAbsolutePath(), s.storePassword(), s.storePassword(),
                s.trustStore().toAbsolutePath(), s.storePassword(), s.certificateRequired() ? "REQUIRED" : "OPTIONAL",
                s.receiveMaximum(), s.maxPacketSize() <= 0 ? ""
                        : "        <packets><max-packet-size>" + s.maxPacketSize() + "</max-packet-size></packets>");
    }
}
