package io.iotuplink.local;

import java.util.List;

/** Where a device may publish, like an AWS IoT policy: exact topics or {@code prefix/#} filters. */
public record TopicPolicy(List<String> publishTopics) {

    public TopicPolicy {
        publishTopics = List.copyOf(publishTopics);
    }

    /**
     * The seed's policy: a device publishes to {prefix}/telemetry and {prefix}/events, nothing else; the cloud side
     * (any other client of this broker) sends commands to {prefix}/commands/...
     */
    public static TopicPolicy seed(String topicPrefix) {
        return new TopicPolicy(List.of(topicPrefix + "/telemetry", topicPrefix + "/events",
                topicPrefix + "/commands/#"));
    }

    public boolean allows(String topic) {
        for (String allowed : publishTopics) {
            if (allowed.equals(topic)
                    || allowed.endsWith("/#") && topic.startsWith(allowed.substring(0, allowed.length() - 1))) {
                return true;
            }
        }
        return false;
    }
}
