package io.iotuplink.local;

import java.util.Map;

/**
 * The embedded MQTT 5 broker of {@code --local}, as the bundle sees it: it lives in a jar of its own
 * ({@code iot-uplink-local-broker.jar}, beside {@code iot-uplink.jar}), so a gateway's jar carries none of it, and is
 * found with {@link java.util.ServiceLoader}.
 */
public interface LocalBrokerService {

    /**
     * Starts a broker with {@code settings} whose clients get the policy their certificate's CN names in
     * {@code policies} (any other certificate is refused); closing what it returns stops it.
     *
     * @throws java.io.UncheckedIOException with a {@link java.net.BindException} when its port is taken
     */
    AutoCloseable start(BrokerSettings settings, Map<String, TopicPolicy> policies);
}
