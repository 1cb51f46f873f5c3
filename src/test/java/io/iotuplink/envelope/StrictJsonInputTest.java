package io.iotuplink.envelope;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotuplink.envelope.InvalidReadingException.Problem;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every input's JSON is read strictly: one value, UTF-8, finite numbers of sane length, bounded nesting. */
class StrictJsonInputTest {

    private final ReadingFactory readings = new ReadingFactory(ReadingFactory.strictMapper(),
            Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC));

    /** A budget of {@code max} records that records what it was asked to admit. */
    private static final class CountingBudget implements RecordBudget {
        private final long max;
        final List<Long> admitted = new ArrayList<>();

        CountingBudget(long max) {
            this.max = max;
        }

        @Override
        public long max() {
            return max;
        }

        @Override
        public void admit(long records) {
            admitted.add(records);
        }
    }

    private static JsonBytes utf8(String text) {
        return JsonBytes.of(text.getBytes(StandardCharsets.UTF_8));
    }

    private InvalidReadingException refused(JsonBytes body) {
        return assertThrows(InvalidReadingException.class, () -> readings.fromJson(body, new CountingBudget(1000)));
    }

    @Test
    void aSecondObjectAfterTheFirstIsTrailingData() {
        InvalidReadingException e = refused(utf8("{\"two\":1}{\"b\":2}"));

        assertEquals(Problem.MALFORMED, e.problem());
        assertEquals("trailing data", e.summary());
        assertTrue(e.detail().contains("line 1, column 10"), e.detail());
    }

    @Test
    void garbageAfterTheValueIsTrailingData() {
        assertEquals("trailing data", refused(utf8("{\"trail\":1}garbage")).summary());
        assertEquals("trailing data", refused(utf8("[{\"a\":1}] 2")).summary());
    }

    @Test
    void trailingDataIsRefusedFromTextsToo() {
        InvalidReadingException e = assertThrows(InvalidReadingException.class,
                () -> readings.parse("{\"line\":1} {\"line\":2}"));

        assertEquals("trailing data", e.summary());
    }

    @Test
    void bytesThatAreNotUtf8AreRefusedNotReplaced() {
        byte[] body = {'{', '"', 'a', '"', ':', '"', (byte) 0xff, '"', '}'};

        InvalidReadingException e = refused(JsonBytes.of(body));

        assertEquals("invalid UTF-8", e.summary());
        assertTrue(e.detail().contains("line 1"), e.detail());
    }

    @Test
    void overlongAndSurrogateEncodingsAreNotUtf8Either() {
        byte[] overlong = {'{', '"', 'a', '"', ':', '"', (byte) 0xc0, (byte) 0x80, '"', '}'};
        byte[] surrogate = {'{', '"', 'a', '"', ':', '"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"', '}'};

        assertEquals("invalid UTF-8", refused(JsonBytes.of(overlong)).summary());
        assertEquals("invalid UTF-8", refused(JsonBytes.of(surrogate)).summary());
    }

    @Test
    void aNumberBeyondADoubleIsRefusedNotSentAsInfinity() {
        InvalidReadingException e = refused(utf8("[{\"ok\":1.5}, {\"deep\":{\"x\":[1, -1e400]}}]"));

        assertEquals("number out of range", e.summary());
        assertTrue(e.detail().contains("record 1 of the array: the number at deep.x[1]"), e.detail());
    }

    @Test
    void anEventWithANumberBeyondADoubleIsRefused() {
        InvalidReadingException e = refused(utf8("{\"event\":\"hot\",\"metadata\":{\"t\":1e999}}"));

        assertEquals("number out of range", e.summary());
    }

    @Test
    void anIntegerOfAThousandAndOneDigitsIsTooLong() {
        InvalidReadingException e = refused(utf8("{\"n\":" + "9".repeat(1001) + "}"));

        assertEquals(Problem.MALFORMED, e.problem());
        assertEquals("number too long", e.summary());
        assertTrue(e.detail().contains("more than " + ReadingFactory.MAX_NUMBER_LENGTH + " characters"), e.detail());
    }

    @Test
    void aLongButSaneNumberIsKeptExactly() {
        String digits = "1".repeat(ReadingFactory.MAX_NUMBER_LENGTH);

        Reading reading = readings.fromJson(utf8("{\"n\":" + digits + "}"), new CountingBudget(1)).get(0);

        assertEquals(digits, reading.body().get("n").bigIntegerValue().toString());
    }

    @Test
    void nestingDeeperThanTheBoundIsRefused() {
        String deep = "{\"a\":".repeat(ReadingFactory.MAX_NESTING_DEPTH) + "1" + "}".repeat(ReadingFactory.MAX_NESTING_DEPTH);
        String tooDeep = "[".repeat(ReadingFactory.MAX_NESTING_DEPTH + 1) + "]".repeat(ReadingFactory.MAX_NESTING_DEPTH + 1);

        assertEquals(1, readings.fromJson(utf8(deep), new CountingBudget(1)).size());
        InvalidReadingException e = refused(utf8(tooDeep));
        assertEquals("nested too deeply", e.summary());
        assertTrue(e.detail().contains("more than 64 levels"), e.detail());
    }

    @Test
    void nestingFarDeeperIsRefusedTheSameWayFromTexts() {
        String veryDeep = "[".repeat(5000) + "]".repeat(5000);

        assertEquals("nested too deeply",
                assertThrows(InvalidReadingException.class, () -> readings.parse(veryDeep)).summary());
    }

    @Test
    void anArrayOverTheBudgetIsRefusedAsTooLargeBeforeTheRestIsRead() {
        CountingBudget budget = new CountingBudget(3);
        // the syntax error comes after the fourth record: counting stops before it
        InvalidReadingException e = refused(utf8("[{}, {}, {}, {}, {\"broken\"]"), budget);

        assertEquals(Problem.TOO_LARGE, e.problem());
        assertEquals("too many records", e.summary());
        assertTrue(e.detail().contains("more than 3 records"), e.detail());
        assertTrue(budget.admitted.isEmpty());
    }

    private InvalidReadingException refused(JsonBytes body, RecordBudget budget) {
        return assertThrows(InvalidReadingException.class, () -> readings.fromJson(body, budget));
    }

    @Test
    void theBudgetIsAskedWithTheCountBeforeAnyRecordIsBuilt() {
        CountingBudget budget = new CountingBudget(10);
        RecordBudget full = new RecordBudget() {
            @Override
            public long max() {
                return 10;
            }

            @Override
            public void admit(long records) {
                budget.admit(records);
                throw new IllegalStateException("no room for " + records);
            }
        };

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> readings.fromJson(utf8("[{\"a\":1}, {\"event\":\"x\"}, {\"b\":2}]"), full));

        assertEquals("no room for 3", e.getMessage());
        assertEquals(List.of(3L), budget.admitted);
    }

    @Test
    void aGoodArrayBecomesItsReadings() {
        CountingBudget budget = new CountingBudget(3);

        List<Reading> batch = readings.fromJson(utf8(" [{\"t\":21.5}, {\"event\":\"door_open\"}, {\"é\":\"ü\"}] \n"),
                budget);

        assertEquals(3, batch.size());
        assertEquals(21.5, batch.get(0).body().get("t").doubleValue());
        assertEquals("door_open", batch.get(1).event());
        assertEquals("ü", batch.get(2).body().get("é").asText());
        assertEquals(List.of(3L), budget.admitted);
    }

    @Test
    void anEmptyBodyHoldsNoValue() {
        assertNull(readings.parse(utf8("  \n")));
        assertEquals("empty body", refused(utf8("")).summary());
        assertEquals("no records", refused(utf8("[]")).summary());
    }

    @Test
    void malformedJsonNamesWhereItBroke() {
        InvalidReadingException e = refused(utf8("{\"t\": 1,"));

        assertEquals("malformed JSON", e.summary());
        assertTrue(e.detail().contains("line 1"), e.detail());
    }

    @Test
    void aTreeFromJavaWithANonFiniteNumberIsRefused() {
        JsonNode data = ReadingFactory.strictMapper().createObjectNode().put("nan", Double.NaN);

        assertEquals("number out of range", assertThrows(InvalidReadingException.class,
                () -> readings.telemetry((com.fasterxml.jackson.databind.node.ObjectNode) data)).summary());
    }
}
