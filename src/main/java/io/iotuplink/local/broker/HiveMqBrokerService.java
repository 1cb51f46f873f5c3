package io.iotuplink.local.broker;

import io.iotuplink.local.BrokerSettings;
import io.iotuplink.local.LocalBrokerService;
import io.iotuplink.local.TopicPolicy;

import java.util.Map;

/** The {@code --local} broker: HiveMQ Community Edition embedded, with the seed's policy as its only extension. */
public final class HiveMqBrokerService implements LocalBrokerService {

    @Override
    public AutoCloseable start(BrokerSettings settings, Map<String, TopicPolicy> policies) {
        return EmbeddedBroker.start(settings, new SeedPolicyExtension(policies));
    }
}
