package io.iotuplink.publish;

import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.support.BrokerAndBundle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** uplink.compress=gzip: the payload is gzip, says so in a user property, and is not flagged as UTF-8. */
class CompressionTest {

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(p -> p.put("uplink.compress", "gzip"));

    @Test
    void gzipRoundTripsToTheSameEnvelope() throws IOException {
        String repetitive = "x".repeat(2000);
        uplink.bundle().producer().sendBody("direct:telemetry", "{\"zipped\": \"" + repetitive + "\"}");

        ReceivedPublish publish = uplink.broker().await(p -> "gzip".equals(p.userProperties().get("content_encoding")),
                1, Duration.ofSeconds(20)).get(0);

        String envelope;
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(publish.payload()))) {
            envelope = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(envelope.matches("\\{\"timestamp\":\\d+\\.\\d{3},\"device_id\":\"bombercat-001\","
                + "\"data\":\\{\"zipped\":\"x{2000}\"}}"), envelope);
        assertTrue(publish.payload().length < 200, "compressed: " + publish.payload().length + " bytes");
        assertEquals("application/json", publish.contentType());
        assertTrue(publish.payloadUtf8() == null || !publish.payloadUtf8(), "a gzip payload is not UTF-8 text");
        assertTrue(publish.userProperties().get("message_id").length() == 36);
    }
}
