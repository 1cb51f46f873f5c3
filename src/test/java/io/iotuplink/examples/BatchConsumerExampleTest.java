package io.iotuplink.examples;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iotuplink.envelope.EnvelopeWriter;
import io.iotuplink.envelope.Reading;
import io.iotuplink.local.ReceivedPublish;
import io.iotuplink.mqtt.MqttPublishProperties;
import io.iotuplink.outbox.BatchEnvelope;
import io.iotuplink.outbox.StoredReading;
import io.iotuplink.support.BrokerAndBundle;
import io.iotuplink.support.RunningBundle;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reference consumer {@code examples/batch-consumer/unbatch.py} gives back, from the bundle's own batch
 * publishes (plain and gzip), each reading's {@code message_id} and exactly the envelope the bundle would have
 * published for it alone. Needs {@code python3}: skipped without it on a developer's machine, failed under
 * {@code CI=true}.
 */
class BatchConsumerExampleTest {

    private static final Path EXAMPLE = Path.of("examples", "batch-consumer");
    private static final String PREFIX = "3f9c2a7b-1e04-8d5c-a6b1-";
    private static final String TOPIC = "bombercat/telemetry";
    private static final String DEVICE = "gw-01";
    /** Numbers parsed without rounding, to compare what went in with what came out. */
    private static final ObjectMapper EXACT = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .build();
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(1_764_694_012_345L), ZoneOffset.UTC);

    @RegisterExtension
    static final BrokerAndBundle uplink = new BrokerAndBundle(p -> {
        p.put("uplink.batch.max-readings", "500");
        p.put("uplink.batch.max-delay", "300ms");
        p.put("uplink.compress", "gzip");
    });

    private static Path python;

    @TempDir
    Path dir;

    @BeforeAll
    static void findPython() {
        python = ProgramOnPath.require("python3", "python3", "the reference consumer cannot be run");
    }

    @Test
    void theConsumersOwnTestsPass() {
        Run run = run(EXAMPLE, List.of("-m", "unittest", "-v", "test_unbatch"));
        assertEquals(0, run.exit(), run.stderr());
        assertTrue(run.stderr().contains("\nOK"), run.stderr());
    }

    @Test
    void aPlainBatchGivesEachReadingsIdAndExactlyItsOwnEnvelope() throws IOException {
        List<StoredReading> stored = awkwardReadings();
        BatchEnvelope.Batch batch = new BatchEnvelope(EXACT, DEVICE, CLOCK).write(stored);
        assertEquals(stored, batch.readings(), "a few small readings share one publish");
        assertCompactFormat(batch.envelope());

        List<String> lines = unbatch(batch.envelope(), Map.of("batch_size", String.valueOf(batch.readings().size())));

        assertEquals(expectedLines(batch.readings()), lines);
    }

    @Test
    void aGzipBatchIsToldByItsUserPropertyOrByItsFirstBytes() throws IOException {
        BatchEnvelope.Batch batch = new BatchEnvelope(EXACT, DEVICE, CLOCK).write(awkwardReadings());
        assertCompactFormat(batch.envelope());
        byte[] gzip = MqttPublishProperties.gzip(batch.envelope());

        assertEquals(expectedLines(batch.readings()), unbatch(gzip, Map.of("content_encoding", "gzip")));
        assertEquals(expectedLines(batch.readings()), unbatch(gzip, Map.of()));
    }

    @Test
    void unicodeAndLargeNumbersComeOutAsTheyWentIn() throws IOException {
        BatchEnvelope.Batch batch = new BatchEnvelope(EXACT, DEVICE, CLOCK).write(awkwardReadings());
        assertCompactFormat(batch.envelope());

        List<String> lines = unbatch(batch.envelope(), Map.of());

        JsonNode data = EXACT.readTree(lines.get(1)).get("envelope").get("data");
        assertEquals(EXACT.readTree(UNICODE_AND_NUMBERS), data);
        assertEquals("température ✓ 温度", data.get("text").asText());
        assertEquals(new BigInteger("12345678901234567890123"), data.get("big").bigIntegerValue());
        assertEquals(0, new BigDecimal("1e-300").compareTo(data.get("tiny").decimalValue()));
    }

    @Test
    void aBatchCutBy128KbYieldsExactlyTheReadingsItTookInOrder() throws IOException {
        EnvelopeWriter writer = new EnvelopeWriter(EXACT, DEVICE);
        List<StoredReading> stored = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            ObjectNode data = (ObjectNode) EXACT.readTree(
                    "{\"seq\":" + i + ",\"t\":\"温度 ✓\",\"v\":" + (i * 0.1) + ",\"pad\":\"" + "x".repeat(40) + "\"}");
            // counters with gaps now and then, as when other readings of the outbox went out before
            long count = 10_000 + i + (i / 100) * 3;
            stored.add(stored(i, PREFIX + String.format("%012x", count), 1_764_694_000_000L + i * 10L, data, writer));
        }

        BatchEnvelope.Batch batch = new BatchEnvelope(EXACT, DEVICE, CLOCK).write(stored);
        assertTrue(batch.readings().size() > 500 && batch.readings().size() < stored.size(),
                "cut by the 128 KB limit: " + batch.readings().size() + " of " + stored.size());
        assertTrue(batch.envelope().length <= EnvelopeWriter.MAX_ENVELOPE_BYTES, batch.envelope().length + " bytes");
        assertCompactFormat(batch.envelope());

        for (byte[] payload : List.of(batch.envelope(), MqttPublishProperties.gzip(batch.envelope()))) {
            List<String> lines = unbatch(payload, Map.of("batch_size", String.valueOf(batch.readings().size())));
            assertEquals(batch.readings().size(), lines.size(), "exactly the readings the batch took");
            assertEquals(batch.readings().stream().map(StoredReading::messageId).toList(), ids(lines));
            assertEquals(expectedLines(batch.readings()), lines);
        }
    }

    @Test
    void theIdsOfAPostedArrayComeOutOfTheBrokersPublishesAsThe202AnsweredThem() throws IOException {
        String array = IntStream.range(0, 40)
                .mapToObj(i -> i == 7 ? UNICODE_AND_NUMBERS : "{\"temperature\":21." + i + ",\"seq\":" + i + "}")
                .collect(Collectors.joining(",", "[", "]"));
        int before = uplink.broker().received().size();
        var response = uplink.bundle().http("POST", "/telemetry", "application/json", array);
        assertEquals(202, response.statusCode(), response.body());
        List<String> accepted = new ArrayList<>();
        RunningBundle.json(response.body()).get("message_ids").forEach(id -> accepted.add(id.asText()));

        RunningBundle.await(() -> batchSizes(since(before)) >= 40, Duration.ofSeconds(30), "the 40 readings");
        List<String> lines = new ArrayList<>();
        for (ReceivedPublish publish : since(before)) {
            assertEquals("gzip", publish.userProperties().get("content_encoding"));
            assertCompactFormat(gunzip(publish.payload()));
            lines.addAll(unbatch(publish.payload(), publish.userProperties()));
        }

        List<String> ids = ids(lines);
        assertEquals(sorted(accepted), sorted(ids), "each reading once, with the id the 202 answered");
        JsonNode seventh = lines.stream().map(BatchConsumerExampleTest::tree)
                .filter(line -> line.get("message_id").asText().equals(accepted.get(7)))
                .findFirst().orElseThrow().get("envelope");
        assertEquals(DEVICE_OF_BUNDLE, seventh.get("device_id").asText());
        assertTrue(EXACT.readTree(UNICODE_AND_NUMBERS).equals(NUMERIC, seventh.get("data")),
                "the posted data, numbers by value: " + seventh.get("data"));
    }

    // ---- readings and expectations ----

    private static final String UNICODE_AND_NUMBERS =
            "{\"text\":\"température ✓ 温度\",\"big\":12345678901234567890123,\"tiny\":1e-300,\"neg\":-273.15}";
    private static final String DEVICE_OF_BUNDLE = "bombercat-001";
    /** Numbers equal by value (the bundle may write 1e-300 as 1.0E-300), everything else as usual. */
    private static final Comparator<JsonNode> NUMERIC = (a, b) -> a.isNumber() && b.isNumber()
            ? a.decimalValue().compareTo(b.decimalValue()) : a.equals(b) ? 0 : 1;

    /**
     * Readings whose ids count on consecutively, jump ahead and back, and include one id of an earlier version (a
     * random UUID); data with unicode, large numbers and keys named data; accepted times ending in 0 ms, going
     * back in time, and far ahead.
     */
    private static List<StoredReading> awkwardReadings() throws IOException {
        EnvelopeWriter writer = new EnvelopeWriter(EXACT, DEVICE);
        String[] data = {
            "{\"temperature\":21.3,\"humidity\":60.0,\"seq\":123}",
            UNICODE_AND_NUMBERS,
            "{\"nested\":{\"data\":[1,{\"data\":null}]},\"quote\":\"\\\"data\\\": }\"}",
            "{}",
            "{\"temperature\":21.30}",
            "{\"seq\":5}",
            "{\"seq\":6}",
            "{\"last\":true}",
        };
        String[] ids = {
            PREFIX + "000000001201",
            PREFIX + "000000001202",
            PREFIX + "000000001203",
            UUID.randomUUID().toString(),
            PREFIX + "000000001300",
            PREFIX + "000000001250",
            PREFIX + "000000001251",
            PREFIX + "ffffffffffff",
        };
        long[] accepted = {1_764_694_009_120L, 1_764_694_009_100L, 1_764_694_009_000L, 1_764_694_009_123L,
            1_764_694_008_999L, 1_764_694_010_000L, 253_402_300_799_990L, 1_764_694_010_010L};
        List<StoredReading> readings = new ArrayList<>();
        for (int i = 0; i < data.length; i++) {
            readings.add(stored(i, ids[i], accepted[i], (ObjectNode) EXACT.readTree(data[i]), writer));
        }
        return readings;
    }

    private static StoredReading stored(int seq, String messageId, long acceptedAt, ObjectNode data,
            EnvelopeWriter writer) {
        Reading reading = new Reading(Reading.Kind.TELEMETRY, messageId, acceptedAt, null, data);
        return new StoredReading(seq + 1, messageId, "telemetry", TOPIC, acceptedAt, writer.write(reading));
    }

    /** What the consumer prints for each reading: its id and the very envelope the bundle stored for it. */
    private static List<String> expectedLines(List<StoredReading> readings) {
        return readings.stream().map(r -> "{\"message_id\":\"" + r.messageId() + "\",\"envelope\":"
                + new String(r.envelope(), StandardCharsets.UTF_8) + "}").toList();
    }

    private static void assertCompactFormat(byte[] payload) throws IOException {
        assertEquals(BatchEnvelope.FORMAT, EXACT.readTree(payload).path("format").asText(),
                "the batch is in the compact format");
    }

    // ---- running the consumer ----

    private record Run(int exit, String stdout, String stderr) {
    }

    /** unbatch.py's lines for one publish with its user properties; it must succeed. */
    private List<String> unbatch(byte[] payload, Map<String, String> userProperties) {
        Path file = dir.resolve("payload-" + UUID.randomUUID());
        try {
            Files.write(file, payload);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> args = new ArrayList<>(List.of("unbatch.py"));
        userProperties.forEach((name, value) -> args.addAll(List.of("--property", name + "=" + value)));
        args.add(file.toAbsolutePath().toString());
        Run run = run(EXAMPLE, args);
        assertEquals(0, run.exit(), "unbatch.py failed: " + run.stderr());
        assertEquals("", run.stderr());
        return Arrays.asList(run.stdout().split("\n"));
    }

    private Run run(Path workingDir, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(python.toString());
        command.addAll(args);
        try {
            Path stderr = Files.createTempFile(dir, "stderr", ".txt");
            ProcessBuilder builder = new ProcessBuilder(command).directory(workingDir.toFile())
                    .redirectError(stderr.toFile());
            builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
            Process process = builder.start();
            process.getOutputStream().close();
            byte[] stdout = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(command + " did not finish in 60 s");
            }
            return new Run(process.exitValue(), new String(stdout, StandardCharsets.UTF_8),
                    Files.readString(stderr, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    // ---- small helpers ----

    private static List<ReceivedPublish> since(int before) {
        List<ReceivedPublish> all = uplink.broker().received();
        return all.subList(before, all.size()).stream()
                .filter(p -> p.userProperties().containsKey("batch_size")).toList();
    }

    private static int batchSizes(List<ReceivedPublish> publishes) {
        return publishes.stream().mapToInt(p -> Integer.parseInt(p.userProperties().get("batch_size"))).sum();
    }

    private static List<String> ids(List<String> lines) {
        return lines.stream().map(line -> tree(line).get("message_id").asText()).toList();
    }

    private static JsonNode tree(String line) {
        try {
            return EXACT.readTree(line);
        } catch (IOException e) {
            throw new AssertionError("not a JSON line: " + line, e);
        }
    }

    private static byte[] gunzip(byte[] payload) throws IOException {
        try (var in = new GZIPInputStream(new ByteArrayInputStream(payload))) {
            return in.readAllBytes();
        }
    }

    private static List<String> sorted(List<String> ids) {
        return ids.stream().sorted().toList();
    }
}
