package io.iotuplink.connection;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import io.iotuplink.support.TlsRecordRelay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A link that goes silent (every packet dropped, no RST) between the bundle and the broker. */
class SilentPartitionTest {

    private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(2);
    /** Room for the forced close and the status poll on a busy machine. */
    private static final Duration MARGIN = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    @Test
    void aSilentLinkIsReplacedWithinThePublishTimeoutAndEveryAcceptedReadingArrives() throws Exception {
        try (TestBroker broker = TestBroker.start(dir.resolve("broker"));
             TlsRecordRelay relay = TlsRecordRelay.to(broker.port())) {
            Map<String, String> p = RunningBundle.properties("localhost:" + relay.port(),
                    broker.device("bombercat-silent", TestBroker.KeyForm.PKCS1), dir.resolve("data"));
            p.put("aws.iot.client-id", "bombercat-silent");
            p.put("uplink.mqtt.publish-timeout", PUBLISH_TIMEOUT.toMillis() + "ms");
            p.put("uplink.mqtt.connect-timeout", "2s");
            try (RunningBundle bundle = RunningBundle.start(p).awaitConnected()) {
                List<String> accepted = new ArrayList<>(post(bundle, 0, 5));
                RunningBundle.await(() -> arrived(broker).containsAll(accepted), Duration.ofSeconds(20),
                        "the first readings through the relay");
                RunningBundle.await(() -> bundle.status().get("buffered").asInt() == 0, Duration.ofSeconds(10),
                        "the first readings acknowledged");

                relay.silent(true);
                accepted.addAll(post(bundle, 5, 20));
                RunningBundle.await(() -> !bundle.status().get("connected").asBoolean(),
                        PUBLISH_TIMEOUT.plus(MARGIN), "/status no longer saying connected");

                JsonNode status = bundle.status();
                assertFalse("connected".equals(status.get("connection_status").asText()), status.toString());
                assertEquals(20, status.get("buffered").asInt(), "the readings stay in the outbox: " + status);
                assertTrue(bundle.connection().history().stream().anyMatch(e ->
                        e.message().startsWith("connection to localhost:" + relay.port() + " silent")
                                && e.error().contains("no PUBACK nor any other packet")),
                        bundle.connection().history().toString());
                assertEquals(1, bundle.connection().history().stream()
                        .filter(e -> e.message().contains(" silent")).count(), "replaced once");

                relay.silent(false);
                RunningBundle.await(() -> arrived(broker).containsAll(accepted), Duration.ofSeconds(60),
                        "every accepted reading at the broker once the link forwards again");
                assertTrue(bundle.status().get("connected").asBoolean());
                RunningBundle.await(() -> bundle.status().get("buffered").asInt() == 0, Duration.ofSeconds(10),
                        "an empty outbox");
            }
        }
    }

    /** POSTs {@code count} readings numbered from {@code first}; returns their message ids once durable. */
    private static List<String> post(RunningBundle bundle, int first, int count) {
        String body = java.util.stream.IntStream.range(first, first + count)
                .mapToObj(i -> "{\"seq\": " + i + "}").collect(Collectors.joining(",", "[", "]"));
        HttpResponse<String> response = bundle.http("POST", "/telemetry", "application/json", body);
        assertEquals(202, response.statusCode(), response.body());
        List<String> ids = new ArrayList<>();
        RunningBundle.json(response.body()).get("message_ids").forEach(id -> ids.add(id.asText()));
        assertEquals(count, ids.size(), response.body());
        return ids;
    }

    private static Set<String> arrived(TestBroker broker) {
        return broker.received().stream().map(ReceivedPublish::userProperties)
                .map(properties -> properties.get("message_id")).collect(Collectors.toSet());
    }
}
