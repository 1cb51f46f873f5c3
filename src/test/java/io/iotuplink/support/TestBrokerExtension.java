package io.iotuplink.support;

import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.async.TimeoutFallback;
import com.hivemq.extension.sdk.api.auth.PublishAuthorizer;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.client.parameter.ClientTlsInformation;
import com.hivemq.extension.sdk.api.interceptor.puback.PubackInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.puback.PubackOutboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishOutboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.packets.connect.ConnackReasonCode;
import com.hivemq.extension.sdk.api.packets.connect.ConnectPacket;
import com.hivemq.extension.sdk.api.packets.disconnect.DisconnectReasonCode;
import com.hivemq.extension.sdk.api.packets.general.UserProperty;
import com.hivemq.extension.sdk.api.packets.publish.AckReasonCode;
import com.hivemq.extension.sdk.api.packets.publish.PayloadFormatIndicator;
import com.hivemq.extension.sdk.api.packets.publish.PublishPacket;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import io.iotuplink.local.BrokerPolicy;
import io.iotuplink.local.ReceivedConnect;
import io.iotuplink.local.ReceivedPublish;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The test broker's rules: those of {@code --local} (a certificate, or here also the policy's token; publishes
 * only where the {@link BrokerPolicy} allows) with its switches (refusals, held-back PUBACKs), reporting every
 * connection, publish and PUBACK to {@link BrokerEvents}.
 */
final class TestBrokerExtension implements ExtensionMain {

    private static final long DROP_DELAY_MILLIS = 50;

    private final Supplier<BrokerPolicy> policy;
    private final BrokerEvents events;

    TestBrokerExtension(Supplier<BrokerPolicy> policy, BrokerEvents events) {
        this.policy = policy;
        this.events = events;
    }

    @Override
    public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
        SimpleAuthenticator certificateOrToken = (auth, result) -> {
            Optional<ClientTlsInformation> tls = auth.getConnectionInformation().getClientTlsInformation();
            Optional<X509Certificate> certificate = tls.flatMap(ClientTlsInformation::getClientCertificate);
            ConnectPacket connect = auth.getConnectPacket();
            Optional<String> username = connect.getUserName();
            if (username.isPresent()) {
                // token authentication, as an AWS IoT custom authorizer: the password is the token
                String expected = policy.get().password();
                String given = connect.getPassword().map(TestBrokerExtension::bytes)
                        .map(b -> new String(b, StandardCharsets.UTF_8)).orElse(null);
                if (expected == null || !expected.equals(given)) {
                    result.failAuthentication(ConnackReasonCode.BAD_USER_NAME_OR_PASSWORD, "token refused");
                    return;
                }
            } else if (certificate.isEmpty()) {
                result.failAuthentication(ConnackReasonCode.NOT_AUTHORIZED, "a client certificate is required");
                return;
            }
            events.connected(new ReceivedConnect(connect.getClientId(), connect.getKeepAlive(),
                    connect.getCleanStart(), connect.getSessionExpiryInterval(),
                    tls.flatMap(t -> t.getHostname()).orElse(null), tls.map(ClientTlsInformation::getProtocol)
                    .orElse(null), certificate.map(c -> c.getSubjectX500Principal().getName()).orElse(null),
                    username.orElse(null)));
            result.authenticateSuccessfully();
        };
        Services.securityRegistry().setAuthenticatorProvider(provider -> certificateOrToken);

        PublishAuthorizer authorizer = (publish, result) -> {
            if (policy.get().refusalFor(publish.getPublishPacket().getTopic()) == BrokerPolicy.NOT_AUTHORIZED) {
                result.failAuthorization(AckReasonCode.NOT_AUTHORIZED, "not allowed by the broker's policy");
            } else {
                result.authorizeSuccessfully();
            }
        };
        Services.securityRegistry().setAuthorizerProvider(provider -> authorizer);

        // other refusals (quota exceeded...) come from the interceptor: a failed authorization may disconnect
        PublishInboundInterceptor recorder = (publish, result) -> {
            PublishPacket packet = publish.getPublishPacket();
            if (packet.getQos().getQosNumber() == 1) {
                events.publishArrived(publish.getClientInformation().getClientId(), packet.getPacketId());
            }
            BrokerPolicy current = policy.get();
            int refusal = current.refusalFor(publish.getPublishPacket().getTopic());
            if (refusal != 0) {
                result.preventPublishDelivery(ackReason(refusal), "refused by the broker's policy");
                if (refusal == BrokerPolicy.NOT_AUTHORIZED && current.dropsAfterNotAuthorized()) {
                    // once the PUBACK is on its way, as HiveMQ's own permissions do
                    String clientId = publish.getClientInformation().getClientId();
                    Services.extensionExecutorService().schedule(() -> Services.clientService().disconnectClient(
                            clientId, false, DisconnectReasonCode.NOT_AUTHORIZED, "not allowed by the broker's policy"),
                            DROP_DELAY_MILLIS, TimeUnit.MILLISECONDS);
                }
                return;
            }
            Duration delay = current.ackDelays().get(publish.getPublishPacket().getTopic());
            if (delay != null) {
                // never resumed: the publish (and its PUBACK) goes on when the async timeout falls back
                result.async(delay, TimeoutFallback.SUCCESS);
            }
            events.received(toReceived(publish.getClientInformation().getClientId(), publish.getPublishPacket()));
        };
        PubackOutboundInterceptor pubacks = (puback, result) -> events.pubackSent(
                puback.getClientInformation().getClientId(), puback.getPubackPacket().getPacketIdentifier());
        PublishOutboundInterceptor sent = (publish, result) -> {
            if (publish.getPublishPacket().getQos().getQosNumber() == 1) {
                events.publishSent(publish.getClientInformation().getClientId());
            }
        };
        PubackInboundInterceptor acknowledged = (puback, result) -> events.pubackReceived(
                puback.getClientInformation().getClientId());
        Services.initializerRegistry().setClientInitializer((initializer, client) -> {
            client.addPublishInboundInterceptor(recorder);
            client.addPubackOutboundInterceptor(pubacks);
            client.addPublishOutboundInterceptor(sent);
            client.addPubackInboundInterceptor(acknowledged);
        });
    }

    @Override
    public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
        // nothing to release: the registries go with the broker
    }

    private static AckReasonCode ackReason(int code) {
        return switch (code) {
            case 0x80 -> AckReasonCode.UNSPECIFIED_ERROR;
            case 0x83 -> AckReasonCode.IMPLEMENTATION_SPECIFIC_ERROR;
            case 0x90 -> AckReasonCode.TOPIC_NAME_INVALID;
            case 0x97 -> AckReasonCode.QUOTA_EXCEEDED;
            case 0x99 -> AckReasonCode.PAYLOAD_FORMAT_INVALID;
            default -> AckReasonCode.NOT_AUTHORIZED;
        };
    }

    private static ReceivedPublish toReceived(String clientId, PublishPacket packet) {
        byte[] payload = packet.getPayload().map(TestBrokerExtension::bytes).orElse(new byte[0]);
        Map<String, String> user = new LinkedHashMap<>();
        for (UserProperty property : packet.getUserProperties().asList()) {
            user.put(property.getName(), property.getValue());
        }
        return new ReceivedPublish(clientId, packet.getTopic(), packet.getQos().getQosNumber(), packet.getRetain(),
                payload, packet.getContentType().orElse(null),
                packet.getPayloadFormatIndicator().map(p -> p == PayloadFormatIndicator.UTF_8).orElse(null),
                Map.copyOf(user), System.nanoTime());
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.asReadOnlyBuffer();
        copy.rewind();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return bytes;
    }
}
