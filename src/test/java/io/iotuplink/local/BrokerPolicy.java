package io.iotuplink.local;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the test broker lets clients do, one policy for every client: publish where the device or the operator of
 * {@code --local} may (see {@link TopicPolicy}), plus the switches a test flips (a PUBACK reason code for a topic,
 * a held-back PUBACK, a token accepted instead of a certificate).
 */
public record BrokerPolicy(List<String> publishTopics, Map<String, Integer> refusals,
        Map<String, Duration> ackDelays, String password, boolean dropsAfterNotAuthorized) {

    public static final int NOT_AUTHORIZED = 0x87;

    /** The publishes {@code --local} allows its device and its operator, with no switch flipped. */
    public static BrokerPolicy seed(String topicPrefix) {
        List<String> topics = new ArrayList<>(TopicPolicy.device(topicPrefix).publishFilters());
        topics.addAll(TopicPolicy.operator(topicPrefix).publishFilters());
        return new BrokerPolicy(topics, Map.of(), Map.of(), null, false);
    }

    /** The same policy, answering {@code topic} with {@code reasonCode} instead. */
    public BrokerPolicy refusing(String topic, int reasonCode) {
        Map<String, Integer> more = new HashMap<>(refusals);
        more.put(topic, reasonCode);
        return new BrokerPolicy(publishTopics, Map.copyOf(more), ackDelays, password, dropsAfterNotAuthorized);
    }

    /** The same policy, holding each publish to {@code topic} (and its PUBACK) back for {@code delay}. */
    public BrokerPolicy delaying(String topic, Duration delay) {
        Map<String, Duration> more = new HashMap<>(ackDelays);
        more.put(topic, delay);
        return new BrokerPolicy(publishTopics, refusals, Map.copyOf(more), password, dropsAfterNotAuthorized);
    }

    /** The same policy, accepting a client without certificate whose CONNECT password is {@code password}. */
    public BrokerPolicy acceptingPassword(String password) {
        return new BrokerPolicy(publishTopics, refusals, ackDelays, password, dropsAfterNotAuthorized);
    }

    /**
     * The same policy, disconnecting a client (DISCONNECT 0x87) just after the PUBACK 0x87 that refuses its publish,
     * as the {@code --local} broker and AWS IoT do.
     */
    public BrokerPolicy droppingTheClientAfterNotAuthorized() {
        return new BrokerPolicy(publishTopics, refusals, ackDelays, password, true);
    }

    /** 0 when the publish is allowed, else the PUBACK reason code that refuses it. */
    public int refusalFor(String topic) {
        Integer code = refusals.get(topic);
        if (code != null) {
            return code;
        }
        return new TopicPolicy(publishTopics, List.of()).allowsPublish(topic) ? 0 : NOT_AUTHORIZED;
    }
}
