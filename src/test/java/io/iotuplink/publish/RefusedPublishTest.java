package io.iotuplink.publish;

import io.iotuplink.local.BrokerPolicy;
import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A publish the broker refuses fails its exchange: counted as failed, kept as a dead letter, never "published". */
class RefusedPublishTest {

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(properties -> {
        properties.put("uplink.publish.retry.max-attempts", "3");
        properties.put("uplink.mqtt.publish-timeout", "300ms");
    });
    static TestBroker broker;
    static RunningBundle bundle;
    static Path deadLetters;

    @BeforeAll
    static void fixtures() {
        broker = uplink.broker();
        bundle = uplink.bundle();
        deadLetters = uplink.dataDir().resolve("dead-letter");
    }

    @AfterEach
    void seedPolicy() {
        broker.policy(BrokerPolicy.seed(TestBroker.PREFIX));
    }

    @Test
    void notAuthorizedFailsTheExchangeWithoutRetryAndKeepsTheReading() throws IOException {
        broker.policy(BrokerPolicy.seed(TestBroker.PREFIX).refusing("bombercat/telemetry", 0x87));
        long publishedBefore = bundle.status().get("published").asLong();
        long failedBefore = bundle.status().get("failed").asLong();

        String id = acceptedId(bundle.http("POST", "/telemetry", "application/json", "{\"refused\": 1}").body());

        Path envelope = deadLetters.resolve(id + ".json");
        Path reason = deadLetters.resolve(id + ".reason");
        RunningBundle.await(() -> Files.exists(reason), Duration.ofSeconds(10), "the dead letter " + reason);
        assertTrue(Files.readString(envelope).contains("\"data\":{\"refused\":1}"), Files.readString(envelope));
        String why = Files.readString(reason);
        assertTrue(why.contains("PUBACK 0x87 not authorized"), why);
        assertTrue(why.contains("attempts: 1\n"), "not authorized is not retried: " + why);
        // a dead letter holds the reading as it was sent: the bundle's user only, like the outbox itself
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(envelope)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(reason)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(deadLetters)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(uplink.dataDir())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                uplink.dataDir().resolve("outbox.db"))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                uplink.dataDir().resolve("outbox.db-wal"))));
        assertEquals(failedBefore + 1, bundle.status().get("failed").asLong());
        assertEquals(publishedBefore, bundle.status().get("published").asLong());
        assertTrue(broker.received().stream().noneMatch(p -> p.payloadText().contains("refused")));
        assertTrue(why.contains("reason_code: 0x87\n"), why);
        long kept;
        try (var files = Files.list(deadLetters)) {
            kept = files.filter(f -> f.toString().endsWith(".reason")).count();
        }
        assertEquals(kept, bundle.status().at("/dead_letters/readings").asLong(), bundle.status().toString());
        assertTrue(bundle.http("GET", "/observe/metrics", null, null).body()
                .contains("uplink_dead_letter_readings " + kept + ".0"), "the metric");
    }

    @Test
    void quotaExceededNeverLeavesTheOutboxAndGoesOutOnceTheQuotaAllows() {
        broker.policy(BrokerPolicy.seed(TestBroker.PREFIX).refusing("bombercat/events", 0x97));
        int pubacksBefore = broker.pubacksSent(BrokerAndBundle.CLIENT_ID);

        String id = acceptedId(bundle.http("POST", "/events/over_quota", "application/json", "{}").body());

        // 1 try and 3 retries make one round of the error handler; the reading then goes out again, and again
        RunningBundle.await(() -> broker.pubacksSent(BrokerAndBundle.CLIENT_ID) - pubacksBefore >= 9,
                Duration.ofSeconds(20), "the refused reading tried more than twice the retries");
        assertTrue(Files.notExists(deadLetters.resolve(id + ".reason")), "0x97 is never dead-lettered");
        assertTrue(bundle.status().get("buffered").asInt() >= 1, "the reading waits in the outbox");

        broker.policy(BrokerPolicy.seed(TestBroker.PREFIX));
        assertEquals(id, broker.await(p -> p.topic().equals("bombercat/events")
                        && p.payloadText().contains("over_quota"), 1, Duration.ofSeconds(20)).get(0)
                .userProperties().get("message_id"), "the same reading, with its message_id");
        RunningBundle.await(() -> bundle.status().get("buffered").asInt() == 0, Duration.ofSeconds(10),
                "the outbox to let the reading go");
        assertTrue(Files.notExists(deadLetters.resolve(id + ".json")));
    }

    @Test
    void aRetryAfterTheRefusalEndsDeliversTheReading() {
        broker.policy(BrokerPolicy.seed(TestBroker.PREFIX).refusing("bombercat/telemetry", 0x97));
        long publishedBefore = bundle.status().get("published").asLong();
        Thread lift = new Thread(() -> {
            TestBrokerPause.pause(300);
            broker.policy(BrokerPolicy.seed(TestBroker.PREFIX));
        });
        lift.start();

        String id = acceptedId(bundle.http("POST", "/telemetry", "application/json", "{\"late\": true}").body());

        assertEquals(id, broker.await(p -> p.payloadText().contains("\"late\":true"), 1, Duration.ofSeconds(20))
                .get(0).userProperties().get("message_id"), "the retry carries the same message_id");
        assertTrue(Files.notExists(deadLetters.resolve(id + ".json")));
        RunningBundle.await(() -> bundle.status().get("published").asLong() == publishedBefore + 1,
                Duration.ofSeconds(10), "the reading counted as published once, though its first attempt failed");
    }

    @Test
    void aPubackThatDoesNotComeInTimeIsRetriedNotDeadLettered() {
        broker.policy(BrokerPolicy.seed(TestBroker.PREFIX).delaying("bombercat/telemetry", Duration.ofSeconds(3)));
        Thread lift = new Thread(() -> {
            TestBrokerPause.pause(1500);
            broker.policy(BrokerPolicy.seed(TestBroker.PREFIX));
        });
        lift.start();

        String id = acceptedId(bundle.http("POST", "/telemetry", "application/json", "{\"slow\": true}").body());

        assertEquals(id, broker.await(p -> p.payloadText().contains("\"slow\":true"), 1, Duration.ofSeconds(30))
                .get(0).userProperties().get("message_id"));
        RunningBundle.await(() -> bundle.status().get("buffered").asInt() == 0, Duration.ofSeconds(30),
                "the outbox to let the reading go");
        assertTrue(Files.notExists(deadLetters.resolve(id + ".json")), "a timeout is retried, never dead-lettered");
    }

    private static String acceptedId(String answer) {
        return RunningBundle.json(answer).get("message_ids").get(0).asText();
    }

    private static final class TestBrokerPause {
        static void pause(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
