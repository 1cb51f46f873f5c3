package io.iotuplink.support;

import io.iotuplink.local.ReceivedPublish;

import java.util.List;

/**
 * The busiest second as a broker counts its quotas: the most publishes and payload bytes that arrived within any one
 * second (a sliding window over the arrival times).
 */
public record BusiestSecond(int publishes, long bytes) {

    /** Of {@code arrived}, in the order the broker received them. */
    public static BusiestSecond of(List<ReceivedPublish> arrived) {
        int publishes = 0;
        long bytes = 0;
        long window = 0;
        for (int i = 0, j = 0; i < arrived.size(); i++) {
            window += arrived.get(i).payload().length;
            while (arrived.get(i).receivedAtNanos() - arrived.get(j).receivedAtNanos() >= 1_000_000_000L) {
                window -= arrived.get(j++).payload().length;
            }
            publishes = Math.max(publishes, i - j + 1);
            bytes = Math.max(bytes, window);
        }
        return new BusiestSecond(publishes, bytes);
    }
}
