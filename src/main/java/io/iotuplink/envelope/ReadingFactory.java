package io.iotuplink.envelope;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iotuplink.envelope.InvalidReadingException.Problem;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Turns input records (JSON objects) into {@link Reading}s: an object with a string {@code event} member is an
 * event, anything else telemetry. Stamps the accepted time and a fresh {@code message_id}.
 */
public final class ReadingFactory {

    /** AWS IoT rule-friendly event names: 1 to 64 of letters, digits, {@code _ . -}. */
    public static final Pattern EVENT_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    /** Arrays and objects nest at most this deep in an input. */
    public static final int MAX_NESTING_DEPTH = 64;
    /** The longest number an input may hold, in characters: any longer is no measurement. */
    public static final int MAX_NUMBER_LENGTH = 100;

    private final ObjectMapper mapper;
    /** Reads one value of a text the caller walks itself (array elements): what follows it is not its business. */
    private final ObjectReader oneValue;
    private final Clock clock;
    private final Supplier<String> messageIds;

    /** A factory whose readings get random UUIDs as their message ids (tests, tools without an outbox). */
    public ReadingFactory(ObjectMapper mapper, Clock clock) {
        this(mapper, clock, () -> UUID.randomUUID().toString());
    }

    /** @param messageIds the next reading's {@code message_id}, once per accepted reading (the outbox's ids) */
    public ReadingFactory(ObjectMapper mapper, Clock clock, Supplier<String> messageIds) {
        this.mapper = mapper;
        this.oneValue = mapper.readerFor(JsonNode.class).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        this.clock = clock;
        this.messageIds = messageIds;
    }

    /**
     * The bundle's mapper, strict for every input that parses JSON with it: one JSON value per text (anything after
     * it is refused), at most {@link #MAX_NESTING_DEPTH} levels, numbers of at most {@link #MAX_NUMBER_LENGTH}
     * characters.
     */
    public static ObjectMapper strictMapper() {
        JsonFactory json = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING_DEPTH)
                        .maxNumberLength(MAX_NUMBER_LENGTH)
                        .build())
                .build();
        return JsonMapper.builder(json).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
    }

    /** Parses a JSON text holding one record or an array of records. */
    public List<Reading> fromJson(String json) {
        JsonNode root = parse(json);
        List<Reading> readings = new ArrayList<>();
        if (root.isArray()) {
            if (root.isEmpty()) {
                throw new InvalidReadingException(Problem.MALFORMED, "no records", "the array is empty");
            }
            for (int i = 0; i < root.size(); i++) {
                readings.add(fromRecord(root.get(i), "record " + i + " of the array"));
            }
        } else {
            readings.add(fromRecord(root, "the body"));
        }
        return readings;
    }

    /**
     * A UTF-8 JSON text holding one record or an array of records, read twice: first to check it and count its
     * records without building them (so a text the {@code budget} cannot take costs no memory), then to build them.
     */
    public List<Reading> fromJson(JsonBytes json, RecordBudget budget) {
        budget.admit(count(json, budget.max()));
        List<Reading> readings = new ArrayList<>();
        try (JsonParser parser = utf8Parser(json)) {
            if (parser.nextToken() == JsonToken.START_ARRAY) {
                for (int i = 0; parser.nextToken() != JsonToken.END_ARRAY; i++) {
                    readings.add(fromRecord(oneValue.readTree(parser), "record " + i + " of the array"));
                }
            } else {
                readings.add(fromRecord(oneValue.readTree(parser), "the body"));
            }
        } catch (IOException e) {
            // count() read the same bytes without a fault
            throw new UncheckedIOException(e);
        }
        return readings;
    }

    /** The one JSON value of a UTF-8 text, or null when the text holds none (is empty or blank). */
    public JsonNode parse(JsonBytes json) {
        try (JsonParser parser = utf8Parser(json)) {
            return readOne(parser);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Checks a text (UTF-8, syntax, one value, the bounds) and counts its records, stopping as soon as there are more
     * than {@code max}.
     */
    private long count(JsonBytes json, long max) {
        try (JsonParser parser = utf8Parser(json)) {
            try {
                JsonToken first = parser.nextToken();
                if (first == null) {
                    throw new InvalidReadingException(Problem.MALFORMED, "empty body",
                            "expected a JSON object or array");
                }
                long records = 1;
                if (first == JsonToken.START_ARRAY) {
                    records = 0;
                    while (parser.nextToken() != JsonToken.END_ARRAY) {
                        if (++records > max) {
                            throw new InvalidReadingException(Problem.TOO_LARGE, "too many records",
                                    "the array holds more than " + max + " records, more than the outbox can"
                                            + " ever hold (uplink.outbox.max-readings); send them in smaller parts");
                        }
                        parser.skipChildren();
                    }
                    if (records == 0) {
                        throw new InvalidReadingException(Problem.MALFORMED, "no records", "the array is empty");
                    }
                } else {
                    parser.skipChildren();
                }
                requireEnd(parser);
                return records;
            } catch (JsonProcessingException | CharacterCodingException e) {
                throw malformed(e, parser);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A parser that refuses bytes that are not UTF-8 (a {@link CharacterCodingException}), never replacing them. */
    private JsonParser utf8Parser(JsonBytes json) throws IOException {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        return mapper.getFactory().createParser(new InputStreamReader(json.open(), utf8));
    }

    /** The parser's one value, or null if it holds none; anything after the value is refused. */
    private JsonNode readOne(JsonParser parser) throws IOException {
        try {
            if (parser.nextToken() == null) {
                return null;
            }
            JsonNode value = oneValue.readTree(parser);
            requireEnd(parser);
            return value;
        } catch (JsonProcessingException | CharacterCodingException e) {
            throw malformed(e, parser);
        }
    }

    /** Refuses anything after the value: a second value, or bytes that are no JSON at all. */
    private static void requireEnd(JsonParser parser) throws IOException {
        JsonLocation end = parser.currentLocation();
        try {
            if (parser.nextToken() == null) {
                return;
            }
        } catch (JsonParseException e) {
            // not even a token: still data after the value
        }
        throw new InvalidReadingException(Problem.MALFORMED, "trailing data",
                "the input goes on after its JSON value (which ends " + where(end)
                        + "); send one object, or one array of objects");
    }

    /** What is wrong with a text the parser could not read, and where. */
    private static InvalidReadingException malformed(IOException e, JsonParser parser) {
        String at = where(parser.currentLocation());
        if (e instanceof CharacterCodingException) {
            return new InvalidReadingException(Problem.MALFORMED, "invalid UTF-8",
                    "bytes that are not UTF-8 " + at + "; send JSON encoded as UTF-8");
        }
        String message = ((JsonProcessingException) e).getOriginalMessage();
        if (e instanceof StreamConstraintsException && message.contains("nesting depth")) {
            return new InvalidReadingException(Problem.MALFORMED, "nested too deeply",
                    "more than " + MAX_NESTING_DEPTH + " levels of arrays and objects " + at);
        }
        if (e instanceof StreamConstraintsException && message.startsWith("Number value length")) {
            return new InvalidReadingException(Problem.MALFORMED, "number too long",
                    "a number of more than " + MAX_NUMBER_LENGTH + " characters " + at);
        }
        return new InvalidReadingException(Problem.MALFORMED, "malformed JSON",
                JsonSyntax.describe((JsonProcessingException) e) + " " + at);
    }

    private static String where(JsonLocation location) {
        return JsonSyntax.where(location);
    }

    /** One record: event if it has a string {@code event} member, telemetry otherwise. */
    public Reading fromRecord(JsonNode record, String where) {
        if (record == null || !record.isObject()) {
            throw new InvalidReadingException(Problem.MALFORMED, "not a JSON object",
                    where + " is " + describe(record) + "; a record is a JSON object like {\"temperature\": 25.5}");
        }
        requireFiniteNumbers(record, where);
        JsonNode event = record.get("event");
        if (event != null && event.isTextual()) {
            JsonNode metadata = record.get("metadata");
            if (metadata != null && !metadata.isNull() && !metadata.isObject()) {
                throw new InvalidReadingException(Problem.MALFORMED, "metadata is not a JSON object",
                        where + " has \"metadata\" as " + describe(metadata) + "; give an object or leave it out");
            }
            return event(event.asText(), metadata == null || metadata.isNull() ? mapper.createObjectNode()
                    : (ObjectNode) metadata);
        }
        return telemetry((ObjectNode) record);
    }

    public Reading telemetry(ObjectNode data) {
        requireFiniteNumbers(data, "the data");
        return new Reading(Reading.Kind.TELEMETRY, newMessageId(), clock.millis(), null, data);
    }

    /** An event; the name is checked against {@link #EVENT_NAME}. */
    public Reading event(String name, ObjectNode metadata) {
        if (!EVENT_NAME.matcher(name).matches()) {
            throw new InvalidReadingException(Problem.MALFORMED, "invalid event name",
                    "'" + abbreviate(name) + "' must be 1 to 64 characters of letters, digits, '_', '.' or '-'");
        }
        requireFiniteNumbers(metadata, "the metadata");
        return new Reading(Reading.Kind.EVENT, newMessageId(), clock.millis(), name, metadata);
    }

    /** Parses JSON text holding one value; malformed text is an {@link InvalidReadingException} naming where. */
    public JsonNode parse(String json) {
        try (JsonParser parser = mapper.getFactory().createParser(json)) {
            JsonNode root = readOne(parser);
            if (root == null) {
                throw new InvalidReadingException(Problem.MALFORMED, "empty body", "expected a JSON object or array");
            }
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Refuses a number a double cannot hold ({@code 1e400} parses as infinity, which JSON cannot carry: it would go
     * out as the string "Infinity").
     */
    private static void requireFiniteNumbers(JsonNode node, String where) {
        String bad = nonFinite(node);
        if (bad != null) {
            throw new InvalidReadingException(Problem.MALFORMED, "number out of range",
                    where + ": the number at " + (bad.startsWith(".") ? bad.substring(1) : bad)
                            + " is beyond what a double holds (about 1.8e308); send a finite number");
        }
    }

    /** The path (".a[2].b", "" for {@code node} itself) of the first number below it that is not finite, or null. */
    public static String nonFinite(JsonNode node) {
        if (node.isFloatingPointNumber()) {
            return Double.isFinite(node.doubleValue()) ? null : "";
        }
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> member = it.next();
                String bad = nonFinite(member.getValue());
                if (bad != null) {
                    return "." + member.getKey() + bad;
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String bad = nonFinite(node.get(i));
                if (bad != null) {
                    return "[" + i + "]" + bad;
                }
            }
        }
        return null;
    }

    private String newMessageId() {
        return messageIds.get();
    }

    private static String describe(JsonNode node) {
        if (node == null || node.isNull()) {
            return "null";
        }
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            default -> node.getNodeType().name().toLowerCase();
        };
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
