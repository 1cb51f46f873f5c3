package io.iotuplink.local;

import java.util.List;
import java.util.Map;

/**
 * What the embedded broker lets clients do, like an AWS IoT policy: the topics (or {@code prefix/#} filters) they
 * may publish to, and the PUBACK
 * reason code for the ones it may not (0x87 not authorized unless a topic is given another, such as 0x97).
 */
public record BrokerPolicy(List<String> publishTopics, Map<String, Integer> refusals,
        Map<String, java.time.Duration> ackDelays, String password) {

    public static final int NOT_AUTHORIZED = 0x87;

    /**
     * The seed's policy: a device publishes to {prefix}/telemetry and {prefix}/events, nothing else; the cloud side
     * (any other client of this broker) sends commands to {prefix}/commands/...
     */
    public static BrokerPolicy seed(String topicPrefix) {
        return new BrokerPolicy(List.of(topicPrefix + "/telemetry", topicPrefix + "/events",
                topicPrefix + "/commands/#"), Map.of(), Map.of(), null);
    }

    /** The same policy, answering {@code topic} with {@code reasonCode} instead. */
    public BrokerPolicy refusing(String topic, int reasonCode) {
        Map<String, Integer> more = new java.util.HashMap<>(refusals);
        more.put(topic, reasonCode);
        return new BrokerPolicy(publishTopics, Map.copyOf(more), ackDelays, password);
    }

    /** The same policy, holding each publish to {@code topic} (and its PUBACK) back for {@code delay}. */
    public BrokerPolicy delaying(String topic, java.time.Duration delay) {
        Map<String, java.time.Duration> more = new java.util.HashMap<>(ackDelays);
        more.put(topic, delay);
        return new BrokerPolicy(publishTopics, refusals, Map.copyOf(more), password);
    }

    /** The same policy, accepting a client without certificate whose CONNECT password is {@code password}. */
    public BrokerPolicy acceptingPassword(String password) {
        return new BrokerPolicy(publishTopics, refusals, ackDelays, password);
    }

    /** 0 when the publish is allowed, else the PUBACK reason code that refuses it. */
    public int refusalFor(String topic) {
        Integer code = refusals.get(topic);
        if (code != null) {
            return code;
        }
        for (String allowed : publishTopics) {
            if (allowed.equals(topic)
                    || allowed.endsWith("/#") && topic.startsWith(allowed.substring(0, allowed.length() - 1))) {
                return 0;
            }
        }
        return NOT_AUTHORIZED;
    }
}
