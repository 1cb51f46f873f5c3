package io.iotuplink.local;

import java.util.List;

/**
 * What one client identity may do on the {@code --local} broker, like an AWS IoT policy attached to a certificate:
 * the topic filters it may publish to and those it may subscribe to (and so receive from); nothing else.
 */
public record TopicPolicy(List<String> publishFilters, List<String> subscribeFilters) {

    public TopicPolicy {
        publishFilters = List.copyOf(publishFilters);
        subscribeFilters = List.copyOf(subscribeFilters);
    }

    /**
     * The seed's device policy: publish to {prefix}/telemetry and {prefix}/events, subscribe to and receive
     * {prefix}/commands/#; a device never publishes commands to itself.
     */
    public static TopicPolicy device(String topicPrefix) {
        return new TopicPolicy(List.of(topicPrefix + "/telemetry", topicPrefix + "/events"),
                List.of(topicPrefix + "/commands/#"));
    }

    /** The command sender's (the cloud side's): publish commands, watch everything under the prefix. */
    public static TopicPolicy operator(String topicPrefix) {
        return new TopicPolicy(List.of(topicPrefix + "/commands/#"), List.of(topicPrefix + "/#"));
    }

    /** Whether a publish to {@code topic} (a topic name, no wildcards) is allowed. */
    public boolean allowsPublish(String topic) {
        return publishFilters.stream().anyMatch(filter -> matches(filter, topic));
    }

    /** MQTT topic matching of a name against a filter ({@code +} one level, a trailing {@code #} the rest). */
    static boolean matches(String filter, String topic) {
        String[] wanted = filter.split("/", -1);
        String[] levels = topic.split("/", -1);
        for (int i = 0; i < wanted.length; i++) {
            if (wanted[i].equals("#")) {
                return true;
            }
            if (i >= levels.length || !wanted[i].equals("+") && !wanted[i].equals(levels[i])) {
                return false;
            }
        }
        return wanted.length == levels.length;
    }
}
