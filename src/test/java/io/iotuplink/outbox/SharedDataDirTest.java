package io.iotuplink.outbox;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.UplinkBundle;
import io.iotuplink.local.ThrowawayPki;
import io.iotuplink.support.BundleProcess;
import io.iotuplink.support.RunningBundle;
import io.iotuplink.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two targets sharing one data dir: readings accepted for one never go out to the other. */
class SharedDataDirTest {

    @TempDir
    Path dir;

    /** Posts {@code body} to {@code /telemetry} and returns the message ids of the readings accepted. */
    private static List<String> post(RunningBundle bundle, String body) {
        HttpResponse<String> accepted = bundle.http("POST", "/telemetry", "application/json", body);
        assertEquals(202, accepted.statusCode(), accepted.body());
        return StreamSupport.stream(RunningBundle.json(accepted.body()).get("message_ids").spliterator(), false)
                .map(JsonNode::asText).toList();
    }

    /** The message ids an outbox file holds, oldest first, read with plain SQL. */
    private static List<String> held(Path file) throws SQLException {
        List<String> ids = new ArrayList<>();
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT message_id FROM readings ORDER BY seq")) {
            while (r.next()) {
                ids.add(r.getString(1));
            }
        }
        return ids;
    }

    @Test
    void readingsWaitingForOneClientIdStopAStartAsAnotherAndGoOutWithTheirOwn() throws SQLException {
        Path data = dir.resolve("data");
        try (TestBroker broker = TestBroker.start(dir.resolve("broker"))) {
            Map<String, String> first = RunningBundle.properties(broker,
                    broker.device("bombercat-a", TestBroker.KeyForm.PKCS1), data);
            first.put("aws.iot.client-id", "bombercat-a");
            first.put("uplink.reconnect.enabled", "false");
            List<String> waiting;
            try (RunningBundle bundle = RunningBundle.start(first).awaitConnected()) {
                broker.cutOff("bombercat-a");
                RunningBundle.await(() -> !bundle.connection().isConnected(), Duration.ofSeconds(10), "the cut");
                waiting = post(bundle, "[{\"t\": 1}, {\"t\": 2}, {\"t\": 3}]");
                JsonNode status = bundle.status();
                assertEquals(3, status.get("buffered").asInt());
                assertEquals("localhost:" + broker.port() + " bombercat-a",
                        status.get("outbox").get("target").asText());
            }
            assertEquals(waiting, held(data.resolve("outbox.db")));

            Map<String, String> asAnother = BundleProcess.environment(first);
            asAnother.put("AWS_IOT_CLIENT_ID", "bombercat-b");
            try (BundleProcess other = BundleProcess.start(dir.resolve("run"), asAnother)) {
                assertEquals(2, other.waitForExit(Duration.ofSeconds(60)), other.output());
                String output = other.output();
                List<String> lines = output.lines().filter(l -> l.contains("outbox.db")).toList();
                assertEquals(1, lines.size(), output);
                assertTrue(lines.get(0).contains(data.resolve("outbox.db") + ": holds 3 reading(s) accepted for"
                        + " localhost:" + broker.port() + " as client id 'bombercat-a', but this start publishes to"
                        + " localhost:" + broker.port() + " as client id 'bombercat-b'"), output);
                assertTrue(lines.get(0).contains("start with AWS_IOT_ENDPOINT=localhost:" + broker.port()
                        + " and AWS_IOT_CLIENT_ID=bombercat-a"), output);
                assertTrue(lines.get(0).contains("&& mv " + data.resolve("outbox.db")), output);
                assertFalse(output.contains("Exception") || output.contains("\tat "), "no stack trace: " + output);
            }
            assertEquals(waiting, held(data.resolve("outbox.db")), "the readings are where they were");
            assertTrue(broker.connects().stream().noneMatch(c -> c.clientId().equals("bombercat-b")));

            try (RunningBundle again = RunningBundle.start(first)) {
                broker.await(p -> waiting.contains(p.userProperties().get("message_id")), 3, Duration.ofSeconds(20));
                RunningBundle.await(() -> again.status().get("buffered").asInt() == 0, Duration.ofSeconds(10),
                        "the outbox emptied");
            }
            assertTrue(broker.received().stream().allMatch(p -> p.clientId().equals("bombercat-a")));
        }
    }

    @Test
    void localAndRealRunsWithOneDataDirNeverSeeEachOthersReadings() throws SQLException {
        Path data = dir.resolve("data");
        ThrowawayPki pki = ThrowawayPki.create("shared data dir CA");
        pki.writeCa(dir.resolve("ca.pem"));
        ThrowawayPki.Issued issued = pki.issueDevice("bombercat-test-001", ThrowawayPki.KeyType.RSA);
        issued.writeCertificate(dir.resolve("device.pem.crt"));
        issued.writeTraditionalKey(dir.resolve("device.pem.key"));
        // a real run whose broker is not there: its readings wait in outbox.db
        Map<String, String> real = RunningBundle.properties("localhost:" + TestBroker.freePort(),
                new TestBroker.DeviceFiles(dir.resolve("device.pem.crt"), dir.resolve("device.pem.key"),
                        dir.resolve("ca.pem")), data);
        List<String> realReadings;
        try (RunningBundle bundle = RunningBundle.start(real)) {
            realReadings = post(bundle, "[{\"real\": 1}, {\"real\": 2}]");
        }

        Map<String, String> local = new LinkedHashMap<>();
        local.put("uplink.data-dir", data.toString());
        local.put("uplink.local.port", String.valueOf(TestBroker.freePort()));
        local.put("camel.server.port", String.valueOf(TestBroker.freePort()));
        local.put("aws.iot.client-id", real.get("aws.iot.client-id"));
        local.put("uplink.inbox", real.get("uplink.inbox"));
        local.put("uplink.routes-dir", real.get("uplink.routes-dir"));
        local.put("uplink.keepalive-interval", "0");
        local.put("uplink.sample-interval", "0");
        ListAppender<ILoggingEvent> brokerLog = new ListAppender<>();
        brokerLog.start();
        Logger broker = (Logger) LoggerFactory.getLogger("io.iotuplink.local.broker");
        broker.addAppender(brokerLog);
        String localWaiting;
        try (RunningBundle bundle = RunningBundle.startLocal(local).awaitConnected()) {
            JsonNode status = bundle.status();
            assertEquals(0, status.get("buffered").asInt(), "the real run's readings are not --local's");
            assertEquals("--local bombercat-test-001", status.get("outbox").get("target").asText());
            String sent = post(bundle, "{\"local\": 1}").get(0);
            RunningBundle.await(() -> brokerLog.list.stream().anyMatch(e -> e.getFormattedMessage()
                    .contains("message_id=" + sent)), Duration.ofSeconds(20), "the local reading at the local broker");
            assertTrue(brokerLog.list.stream().noneMatch(e -> realReadings.stream()
                    .anyMatch(id -> e.getFormattedMessage().contains(id))), "no real reading at the local broker");
            // one local reading left waiting, as a --local run stopped while offline leaves it
            bundle.context().getRouteController().stopRoute(UplinkBundle.PUBLISH_ROUTE);
            localWaiting = post(bundle, "{\"local\": 2}").get(0);
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            broker.detachAppender(brokerLog);
        }

        try (RunningBundle bundle = RunningBundle.start(real)) {
            assertEquals(2, bundle.status().get("buffered").asInt(), "only its own readings, not --local's");
        }
        assertEquals(realReadings, held(data.resolve("outbox.db")));
        assertEquals(List.of(localWaiting), held(data.resolve("outbox-local.db")));
    }
}
