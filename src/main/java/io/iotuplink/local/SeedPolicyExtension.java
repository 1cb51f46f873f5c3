package io.iotuplink.local;

import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.auth.PublishAuthorizer;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.client.parameter.ClientTlsInformation;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.packets.connect.ConnackReasonCode;
import com.hivemq.extension.sdk.api.packets.connect.ConnectPacket;
import com.hivemq.extension.sdk.api.packets.publish.AckReasonCode;
import com.hivemq.extension.sdk.api.packets.publish.PublishPacket;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * The {@code --local} broker's security, in the place AWS IoT has it: a client must present a certificate the
 * broker's CA signed and may publish only where the seed's {@link TopicPolicy} allows; every accepted connection
 * and publish is logged, so a newcomer sees the whole flow.
 */
final class SeedPolicyExtension implements ExtensionMain {

    private static final Logger LOG = LoggerFactory.getLogger("io.iotuplink.local.broker");
    private static final int LOGGED_PAYLOAD_CHARS = 400;

    private final TopicPolicy policy;

    SeedPolicyExtension(TopicPolicy policy) {
        this.policy = policy;
    }

    @Override
    public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
        SimpleAuthenticator requireCertificate = (auth, result) -> {
            Optional<ClientTlsInformation> tls = auth.getConnectionInformation().getClientTlsInformation();
            Optional<X509Certificate> certificate = tls.flatMap(ClientTlsInformation::getClientCertificate);
            if (certificate.isEmpty()) {
                result.failAuthentication(ConnackReasonCode.NOT_AUTHORIZED, "a client certificate is required");
                return;
            }
            ConnectPacket connect = auth.getConnectPacket();
            LOG.info("broker accepted {} ({}, certificate {}, keep-alive {}s)", connect.getClientId(),
                    tls.get().getProtocol(), certificate.get().getSubjectX500Principal().getName(),
                    connect.getKeepAlive());
            result.authenticateSuccessfully();
        };
        Services.securityRegistry().setAuthenticatorProvider(provider -> requireCertificate);

        PublishAuthorizer authorizer = (publish, result) -> {
            if (policy.allows(publish.getPublishPacket().getTopic())) {
                result.authorizeSuccessfully();
            } else {
                result.failAuthorization(AckReasonCode.NOT_AUTHORIZED, "not allowed by the broker's policy");
            }
        };
        Services.securityRegistry().setAuthorizerProvider(provider -> authorizer);

        // interceptors see a publish before the authorizer refuses it: log only what it lets through
        PublishInboundInterceptor logger = (publish, result) -> {
            if (policy.allows(publish.getPublishPacket().getTopic())) {
                log(publish.getPublishPacket());
            }
        };
        Services.initializerRegistry().setClientInitializer((initializer, client) ->
                client.addPublishInboundInterceptor(logger));
    }

    @Override
    public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
        // nothing to release: the registries go with the broker
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
