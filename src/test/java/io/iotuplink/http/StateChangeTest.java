package io.iotuplink.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import io.iotuplink.support.TlsRecordRelay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code POST /state}: the state changes only once its {@code state_changed} event is in the outbox. */
class StateChangeTest {

    @TempDir
    Path dir;

    private static HttpResponse<String> changeState(RunningBundle bundle, String state) {
        return bundle.http("POST", "/state", "application/json", "{\"state\": \"" + state + "\"}");
    }

    @Test
    void aFullOutboxAnswers503AndLeavesTheStateAsItWas() throws IOException {
        // the broker runs from the start, but the bundle's endpoint is a port nothing listens on until a relay to it
        // opens there: one broker start instead of a start, a stop and a restart
        try (TestBroker broker = TestBroker.start(dir.resolve("broker"))) {
            int notYetListening = TestBroker.freePort();
            Map<String, String> properties = RunningBundle.properties("localhost:" + notYetListening,
                    broker.device("bombercat-state", TestBroker.KeyForm.PKCS1), dir.resolve("data"));
            properties.put("uplink.outbox.max-readings", "1");
            properties.put("uplink.outbox.when-full", "reject");
            try (RunningBundle bundle = RunningBundle.start(properties)) {
                HttpResponse<String> filling = bundle.http("POST", "/telemetry", "application/json", "{\"seq\": 1}");
                assertEquals(202, filling.statusCode(), filling.body());

                HttpResponse<String> refused = changeState(bundle, "collecting_data");
                assertEquals(503, refused.statusCode(), refused.body());
                JsonNode error = RunningBundle.json(refused.body());
                assertEquals("outbox full", error.get("error").asText(), refused.body());
                assertEquals(2, error.size(), refused.body());

                try (TlsRecordRelay back = TlsRecordRelay.from(notYetListening, broker.port())) {
                    RunningBundle.await(() -> bundle.status().get("buffered").asInt() == 0, Duration.ofSeconds(60),
                            "the outbox to drain once the broker is back");
                    HttpResponse<String> changed = changeState(bundle, "uploading");
                    assertEquals(202, changed.statusCode(), changed.body());
                    assertEquals("idle", RunningBundle.json(changed.body()).get("from").asText(),
                            "the refused change must not have happened");
                }
            }
        }
    }
}
