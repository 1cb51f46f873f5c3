package io.iotuplink.publish;

import io.iotuplink.local.BrokerPolicy;
import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A publish waiting out its retry back-off holds nothing else up: the wait is a scheduled task, not a sleep on the
 * thread that learnt of the refusal (Paho's callback thread, through which every other PUBACK has to pass).
 */
class RetryBackOffTest {

    private static final Duration BACK_OFF = Duration.ofSeconds(6);

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(properties -> {
        properties.put("uplink.publish.retry.initial-delay", BACK_OFF.toMillis() + "ms");
        properties.put("uplink.publish.retry.max-delay", BACK_OFF.toMillis() + "ms");
        properties.put("uplink.publish.retry.jitter", "0");
    });

    @Test
    void othersAreAcknowledgedWhileARefusedPublishWaitsForItsRetry() {
        TestBroker broker = uplink.broker();
        RunningBundle bundle = uplink.bundle();
        broker.policy(BrokerPolicy.seed(TestBroker.PREFIX).refusing("bombercat/telemetry", 0x97));
        long published = bundle.status().get("published").asLong();
        int pubacks = broker.pubacksSent(BrokerAndBundle.CLIENT_ID);

        bundle.http("POST", "/telemetry", "application/json", "{\"over_quota\": 1}");
        RunningBundle.await(() -> broker.pubacksSent(BrokerAndBundle.CLIENT_ID) > pubacks, Duration.ofSeconds(10),
                "the broker's 0x97 for the telemetry");
        bundle.http("POST", "/events/meanwhile", "application/json", "{}");

        // well within the back-off: the event's PUBACK is not queued behind a sleeping retry
        RunningBundle.await(() -> bundle.status().get("published").asLong() == published + 1,
                BACK_OFF.dividedBy(2), "the event published while the telemetry waits for its retry");
        assertEquals(published + 1, bundle.status().get("published").asLong(), "the telemetry is not published yet");
        RunningBundle.await(() -> bundle.status().get("buffered").asLong() == 1, BACK_OFF.dividedBy(2),
                "the event to leave the outbox, the telemetry waiting in it");
        assertEquals(published + 1, bundle.status().get("published").asLong(), "the telemetry is not published yet");

        broker.policy(BrokerPolicy.seed(TestBroker.PREFIX));
        broker.await(p -> p.payloadText().contains("\"over_quota\":1"), 1, BACK_OFF.multipliedBy(3));
        RunningBundle.await(() -> bundle.status().get("buffered").asLong() == 0, Duration.ofSeconds(10),
                "the retried telemetry to leave the outbox");
    }
}
