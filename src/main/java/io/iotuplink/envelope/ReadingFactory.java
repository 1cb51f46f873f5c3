package io.iotuplink.envelope;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iotuplink.envelope.InvalidReadingException.Problem;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Turns input records (JSON objects) into {@link Reading}s: an object with a string {@code event} member is an
 * event, anything else telemetry. Stamps the accepted time and a fresh {@code message_id}.
 */
public final class ReadingFactory {

    /** AWS IoT rule-friendly event names: 1 to 64 of letters, digits, {@code _ . -}. */
    public static final Pattern EVENT_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private final ObjectMapper mapper;
    private final Clock clock;

    public ReadingFactory(ObjectMapper mapper, Clock clock) {
        this.mapper = mapper;
        this.clock = clock;
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

    /** One record: event if it has a string {@code event} member, telemetry otherwise. */
    public Reading fromRecord(JsonNode record, String where) {
        if (record == null || !record.isObject()) {
            throw new InvalidReadingException(Problem.MALFORMED, "not a JSON object",
                    where + " is " + describe(record) + "; a record is a JSON object like {\"temperature\": 25.5}");
        }
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
        return new Reading(Reading.Kind.TELEMETRY, newMessageId(), clock.millis(), null, data);
    }

    /** An event; the name is checked against {@link #EVENT_NAME}. */
    public Reading event(String name, ObjectNode metadata) {
        if (!EVENT_NAME.matcher(name).matches()) {
            throw new InvalidReadingException(Problem.MALFORMED, "invalid event name",
                    "'" + abbreviate(name) + "' must be 1 to 64 characters of letters, digits, '_', '.' or '-'");
        }
        return new Reading(Reading.Kind.EVENT, newMessageId(), clock.millis(), name, metadata);
    }

    /** Parses JSON text; malformed text is an {@link InvalidReadingException} naming line and column. */
    public JsonNode parse(String json) {
        try {
            JsonNode root = mapper.readTree(json);
            if (root == null || root.isMissingNode()) {
                throw new InvalidReadingException(Problem.MALFORMED, "empty body", "expected a JSON object or array");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new InvalidReadingException(Problem.MALFORMED, "malformed JSON",
                    e.getOriginalMessage() + " at line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr());
        }
    }

    private static String newMessageId() {
        return UUID.randomUUID().toString();
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
