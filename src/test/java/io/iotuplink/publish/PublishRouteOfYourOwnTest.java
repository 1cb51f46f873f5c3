package io.iotuplink.publish;

import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.RunningBundle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A user's copy of routes/publish.camel.yaml with a step added runs instead of the built-in one. */
class PublishRouteOfYourOwnTest {

    private static final Path DIR = tempDir();
    private static final Path COPIES = DIR.resolve("copies");

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(p -> p.put("uplink.publish-route",
            publishRouteWithACopy().toString()));

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("iot-uplink-publish-route");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The built-in route, with a second endpoint after the publish: a copy of each payload in a directory. */
    private static Path publishRouteWithACopy() {
        try {
            String builtIn = Files.readString(Path.of("routes/publish.camel.yaml"));
            String withCopy = builtIn + """
                            - to:
                                uri: file:%s
                                parameters:
                                  fileName: ${header.UplinkMessageId}.json
                    """.formatted(COPIES);
            Path file = DIR.resolve("publish.camel.yaml");
            Files.writeString(file, withCopy);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aStepAddedAfterThePublishSeesEveryPublishedReading() throws IOException {
        String answer = uplink.bundle().http("POST", "/telemetry", "application/json", "{\"copied\": 1}").body();
        String id = RunningBundle.json(answer).get("message_ids").get(0).asText();

        ReceivedPublish received = uplink.broker().await(p -> p.payloadText().contains("copied"), 1,
                Duration.ofSeconds(20)).get(0);
        Path copy = COPIES.resolve(id + ".json");
        RunningBundle.await(() -> Files.exists(copy), Duration.ofSeconds(10), "the copy " + copy);

        assertArrayEquals(received.payload(), Files.readAllBytes(copy), "the same bytes as on the wire");
        assertEquals(1, received.qos());
        RunningBundle.await(() -> uplink.bundle().status().get("buffered").asInt() == 0, Duration.ofSeconds(10),
                "the reading to leave the outbox once the whole route completed");
    }
}
