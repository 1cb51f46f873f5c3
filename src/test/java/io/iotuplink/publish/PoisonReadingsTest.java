package io.iotuplink.publish;

import io.iotuplink.local.BrokerPolicy;
import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A reading the broker can never take becomes a dead letter at its first attempt, and what comes after it goes
 * out: one over the maximum packet size the broker's CONNACK announced is never sent, one the broker refuses for
 * good (0x87) is dead-lettered once even though the broker also drops the connection.
 */
class PoisonReadingsTest {

    private static final int MAX_PACKET_SIZE = 2048;

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(
            dir -> TestBroker.startWithMaxPacketSize(dir, MAX_PACKET_SIZE), properties -> {
                properties.put("uplink.publish.retry.max-attempts", "3");
                properties.put("uplink.mqtt.publish-timeout", "2s");
            });

    @AfterEach
    void seedPolicy() {
        uplink.broker().policy(BrokerPolicy.seed(TestBroker.PREFIX));
    }

    @Test
    void aReadingOverTheBrokersMaximumPacketSizeIsADeadLetterAtOnceAndTheNextOnesGoOut() throws IOException {
        RunningBundle bundle = uplink.bundle();
        long publishedBefore = bundle.status().get("published").asLong();
        long failedBefore = bundle.status().get("failed").asLong();
        int connectsBefore = uplink.broker().connects().size();

        String big = accepted(bundle.http("POST", "/telemetry", "application/json",
                "{\"big\": \"" + "b".repeat(3000) + "\"}").body()).get(0);
        List<String> next = accepted(bundle.http("POST", "/telemetry", "application/json",
                "[{\"after\": 1}, {\"after\": 2}, {\"after\": 3}]").body());

        Path reason = uplink.dataDir().resolve("dead-letter").resolve(big + ".reason");
        RunningBundle.await(() -> Files.exists(reason), Duration.ofSeconds(10), "the dead letter " + reason);
        String why = Files.readString(reason);
        assertTrue(why.contains("attempts: 1\n"), "a packet too large is never retried: " + why);
        Matcher sizes = Pattern.compile("packet of (\\d+) bytes is over the broker's maximum packet size of "
                + MAX_PACKET_SIZE + " bytes \\(CONNACK\\)").matcher(why);
        assertTrue(sizes.find(), why);
        assertTrue(Integer.parseInt(sizes.group(1)) > 3000, why);
        assertTrue(Files.readString(reason.resolveSibling(big + ".json")).contains("bbbb"));

        List<String> published = uplink.broker().await(p -> p.payloadText().contains("\"after\""), 3,
                Duration.ofSeconds(10)).stream().map(p -> p.userProperties().get("message_id")).toList();
        assertEquals(Set.copyOf(next), Set.copyOf(published), "the readings after the poison one");
        RunningBundle.await(() -> bundle.status().get("published").asLong() == publishedBefore + 3,
                Duration.ofSeconds(10), "3 readings counted as published");
        RunningBundle.await(() -> bundle.status().get("buffered").asInt() == 0, Duration.ofSeconds(10),
                "the outbox to be empty");
        assertEquals(failedBefore + 1, bundle.status().get("failed").asLong());
        assertTrue(uplink.broker().received().stream().noneMatch(p -> p.payloadText().contains("bbbb")),
                "never sent");
        assertEquals(connectsBefore, uplink.broker().connects().size(), "the connection stayed up");
    }

    @Test
    void aTopicTheBrokerRefusesForGoodIsADeadLetterOnceAndTheLaneGoesOnAfterTheReconnect() throws IOException {
        RunningBundle bundle = uplink.bundle();
        uplink.broker().policy(BrokerPolicy.seed(TestBroker.PREFIX).refusing("bombercat/events",
                BrokerPolicy.NOT_AUTHORIZED).droppingTheClientAfterNotAuthorized());
        long publishedBefore = bundle.status().get("published").asLong();
        long failedBefore = bundle.status().get("failed").asLong();
        int connectsBefore = uplink.broker().connects().size();

        String refused = accepted(bundle.http("POST", "/events/refused_here", "application/json", "{}").body())
                .get(0);
        List<String> next = new ArrayList<>(accepted(bundle.http("POST", "/telemetry", "application/json",
                "[{\"later\": 1}, {\"later\": 2}]").body()));

        Path reason = uplink.dataDir().resolve("dead-letter").resolve(refused + ".reason");
        RunningBundle.await(() -> Files.exists(reason), Duration.ofSeconds(15), "the dead letter " + reason);
        String why = Files.readString(reason);
        assertTrue(why.contains("PUBACK 0x87 not authorized"), why);
        // HiveMQ, like AWS IoT, drops a client after a publish it does not authorize
        RunningBundle.await(() -> uplink.broker().connects().size() > connectsBefore
                && bundle.status().get("connected").asBoolean(), Duration.ofSeconds(15),
                "the broker to drop the bundle and the bundle to connect again");
        next.addAll(accepted(bundle.http("POST", "/telemetry", "application/json", "{\"later\": 3}").body()));

        List<String> published = uplink.broker().await(p -> p.payloadText().contains("\"later\""), 3,
                Duration.ofSeconds(15)).stream().map(p -> p.userProperties().get("message_id")).toList();
        assertEquals(Set.copyOf(next), Set.copyOf(published), "every reading after the refused one went out");
        // once nothing is buffered the refused event has left the outbox: it cannot be dead-lettered again
        RunningBundle.await(() -> bundle.status().get("buffered").asInt() == 0
                        && bundle.status().get("published").asLong() == publishedBefore + 3,
                Duration.ofSeconds(15), "the outbox to be empty and 3 readings published");
        assertEquals(failedBefore + 1, bundle.status().get("failed").asLong(), "dead-lettered once");
        assertTrue(uplink.broker().received().stream().noneMatch(p -> p.payloadText().contains("refused_here")));
        try (Stream<Path> letters = Files.list(reason.getParent())) {
            assertEquals(2, letters.filter(p -> p.getFileName().toString().startsWith(refused)).count());
        }
    }

    private static List<String> accepted(String answer) {
        List<String> ids = new ArrayList<>();
        RunningBundle.json(answer).get("message_ids").forEach(id -> ids.add(id.asText()));
        return ids;
    }
}
