package io.iotuplink.local.broker;

import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.auth.parameter.TopicPermission;
import com.hivemq.extension.sdk.api.client.parameter.ClientTlsInformation;
import com.hivemq.extension.sdk.api.packets.auth.DefaultAuthorizationBehaviour;
import com.hivemq.extension.sdk.api.packets.auth.ModifiableDefaultPermissions;
import com.hivemq.extension.sdk.api.packets.connect.ConnackReasonCode;
import com.hivemq.extension.sdk.api.packets.connect.ConnectPacket;
import com.hivemq.extension.sdk.api.packets.publish.PublishPacket;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import io.iotuplink.local.LocalPki;
import io.iotuplink.local.TopicPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code --local} broker's security, in the place AWS IoT has it: a client must present a certificate the
 * broker's CA signed, and its certificate's CN picks the {@link TopicPolicy} it gets (the device's: the seed's
 * policy; the operator's: send commands, watch everything). HiveMQ enforces the policy as the client's default
 * permissions: a subscription outside it gets SUBACK 0x87, a publish PUBACK 0x87 and then a DISCONNECT. Every
 * connection and publish is logged, so a newcomer sees the whole flow.
 */
public final class SeedPolicyExtension implements ExtensionMain {

    private static final Logger LOG = LoggerFactory.getLogger("io.iotuplink.local.broker");
    private static final int LOGGED_PAYLOAD_CHARS = 400;

    private final Map<String, TopicPolicy> policiesByCommonName;

    /** {@code policiesByCommonName}: the policy of each certificate CN; any other certificate is refused. */
    public SeedPolicyExtension(Map<String, TopicPolicy> policiesByCommonName) {
        this.policiesByCommonName = Map.copyOf(policiesByCommonName);
    }

    @Override
    public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
        SimpleAuthenticator byCertificate = (auth, result) -> {
            Optional<ClientTlsInformation> tls = auth.getConnectionInformation().getClientTlsInformation();
            Optional<X509Certificate> certificate = tls.flatMap(ClientTlsInformation::getClientCertificate);
            if (certificate.isEmpty()) {
                result.failAuthentication(ConnackReasonCode.NOT_AUTHORIZED, "a client certificate is required");
                return;
            }
            String name = LocalPki.commonName(certificate.get());
            TopicPolicy policy = policiesByCommonName.get(name);
            ConnectPacket connect = auth.getConnectPacket();
            if (policy == null) {
                LOG.info("broker refused {}: no policy for the certificate CN={}", connect.getClientId(), name);
                result.failAuthentication(ConnackReasonCode.NOT_AUTHORIZED, "no policy for the certificate CN="
                        + name);
                return;
            }
            permit(result.getDefaultPermissions(), policy);
            LOG.info("broker accepted {} ({}, certificate {}, keep-alive {}s)", connect.getClientId(),
                    tls.get().getProtocol(), certificate.get().getSubjectX500Principal().getName(),
                    connect.getKeepAlive());
            result.authenticateSuccessfully();
        };
        Services.securityRegistry().setAuthenticatorProvider(provider -> byCertificate);

        // interceptors see a publish before its permissions refuse it: log what the client's policy lets through
        Services.initializerRegistry().setClientInitializer((initializer, client) -> {
            TopicPolicy policy = initializer.getConnectionInformation().getClientTlsInformation()
                    .flatMap(ClientTlsInformation::getClientCertificate)
                    .map(c -> policiesByCommonName.get(LocalPki.commonName(c))).orElse(null);
            if (policy != null) {
                client.addPublishInboundInterceptor((publish, result) -> {
                    PublishPacket packet = publish.getPublishPacket();
                    if (policy.allowsPublish(packet.getTopic())) {
                        log(packet);
                    } else {
                        LOG.info("broker refused {} from {} (not authorized, then disconnected): its certificate's"
                                + " policy publishes only to {}",
                                packet.getTopic(), publish.getClientInformation().getClientId(),
                                policy.publishFilters());
                    }
                });
            }
        });
    }

    @Override
    public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
        // nothing to release: the registries go with the broker
    }

    private static void permit(ModifiableDefaultPermissions permissions, TopicPolicy policy) {
        for (String filter : policy.publishFilters()) {
            permissions.add(Builders.topicPermission().topicFilter(filter)
                    .activity(TopicPermission.MqttActivity.PUBLISH).type(TopicPermission.PermissionType.ALLOW)
                    .build());
        }
        for (String filter : policy.subscribeFilters()) {
            permissions.add(Builders.topicPermission().topicFilter(filter)
                    .activity(TopicPermission.MqttActivity.SUBSCRIBE).type(TopicPermission.PermissionType.ALLOW)
                    .build());
        }
        permissions.setDefaultBehaviour(DefaultAuthorizationBehaviour.DENY);
    }

    private static void log(PublishPacket packet) {
        String payload = packet.getPayload().map(SeedPolicyExtension::text).orElse("");
        if (payload.length() > LOGGED_PAYLOAD_CHARS) {
            payload = payload.substring(0, LOGGED_PAYLOAD_CHARS) + "...";
        }
        String messageId = packet.getUserProperties().getFirst("message_id").orElse(null);
        LOG.info("broker received {} QoS {} message_id={}: {}", packet.getTopic(), packet.getQos().getQosNumber(),
                messageId, payload);
    }

    private static String text(ByteBuffer buffer) {
        ByteBuffer copy = buffer.asReadOnlyBuffer();
        copy.rewind();
        return StandardCharsets.UTF_8.decode(copy).toString();
    }
}
