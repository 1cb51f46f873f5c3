package io.iotuplink.envelope;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iotuplink.envelope.InvalidReadingException.Problem;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where every input's records come in: classifies them, stamps them and writes their envelopes, so that a batch
 * is refused whole (nothing published) when any record in it is bad.
 */
public final class ReadingIntake {

    private final ObjectMapper mapper;
    private final ReadingFactory readings;
    private final EnvelopeWriter envelopes;
    private final String telemetryTopic;
    private final String eventsTopic;

    public ReadingIntake(ObjectMapper mapper, ReadingFactory readings, EnvelopeWriter envelopes,
            String telemetryTopic, String eventsTopic) {
        this.mapper = mapper;
        this.readings = readings;
        this.envelopes = envelopes;
        this.telemetryTopic = telemetryTopic;
        this.eventsTopic = eventsTopic;
    }

    /** JSON text with one record or an array of them; events and telemetry told apart by the {@code event} member. */
    public List<PreparedReading> records(String json) {
        return prepare(readings.fromJson(json));
    }

    /**
     * A UTF-8 JSON body with one record or an array of them: checked and counted before any record is built, so a
     * body over the {@code budget} is refused before it costs memory.
     */
    public List<PreparedReading> records(JsonBytes json, RecordBudget budget) {
        return prepare(readings.fromJson(json, budget));
    }

    /** The one JSON value of a UTF-8 body (strictly checked), or null for an empty or blank body. */
    public JsonNode parse(JsonBytes json) {
        return readings.parse(json);
    }

    /** One record given as one line of JSON (NDJSON); an array is refused. */
    public PreparedReading record(String line) {
        JsonNode node = readings.parse(line);
        if (!node.isObject()) {
            throw new InvalidReadingException(Problem.MALFORMED, "not a JSON object",
                    "each line must be one JSON object like {\"temperature\": 25.5}");
        }
        return prepare(readings.fromRecord(node, "the line"));
    }

    /** One record already parsed (an element of a streamed array); {@code where} names it in the error. */
    public PreparedReading record(JsonNode record, String where) {
        return prepare(readings.fromRecord(record, where));
    }

    /**
     * One record or an array of records, each judged on its own: a bad element is handed to {@code rejected}
     * (with its index and JSON text) and the others are kept. Malformed JSON refuses the whole text.
     */
    public List<PreparedReading> recordsEach(String json, RejectedRecord rejected) {
        JsonNode root = readings.parse(json);
        if (!root.isArray()) {
            return List.of(prepare(readings.fromRecord(root, "the file")));
        }
        List<PreparedReading> prepared = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) {
            try {
                prepared.add(prepare(readings.fromRecord(root.get(i), "record " + i + " of the array")));
            } catch (InvalidReadingException e) {
                rejected.rejected(i, root.get(i).toString(), e);
            }
        }
        return prepared;
    }

    /** Told about each record {@link #recordsEach} refuses. */
    @FunctionalInterface
    public interface RejectedRecord {
        void rejected(int index, String json, InvalidReadingException problem);
    }

    /** One telemetry record ({@code data}), given as JSON text, a map or a JSON tree. */
    public PreparedReading telemetry(Object body) {
        return prepare(readings.telemetry(object(body, "telemetry data")));
    }

    /** One event; {@code metadata} may be null or empty. */
    public PreparedReading event(String name, Object metadata) {
        ObjectNode meta = metadata == null || (metadata instanceof String s && s.isBlank())
                ? mapper.createObjectNode() : object(metadata, "event metadata");
        return prepare(readings.event(name, meta));
    }

    /** An event record {@code {"event": name, "metadata": {...}}}. */
    public PreparedReading eventRecord(Object body) {
        ObjectNode record = object(body, "event record");
        if (!record.path("event").isTextual()) {
            throw new InvalidReadingException(Problem.MALFORMED, "not an event",
                    "the record has no string \"event\" member; set the header UplinkEventName or send"
                            + " {\"event\": \"name\", \"metadata\": {...}}");
        }
        return prepare(readings.fromRecord(record, "the event record"));
    }

    private List<PreparedReading> prepare(List<Reading> batch) {
        List<PreparedReading> prepared = new ArrayList<>(batch.size());
        for (Reading reading : batch) {
            prepared.add(prepare(reading));
        }
        return prepared;
    }

    private PreparedReading prepare(Reading reading) {
        return new PreparedReading(reading, envelopes.write(reading),
                reading.isEvent() ? eventsTopic : telemetryTopic);
    }

    private ObjectNode object(Object body, String what) {
        JsonNode node;
        if (body instanceof JsonNode json) {
            node = json;
        } else if (body instanceof Map<?, ?> map) {
            node = mapper.valueToTree(map);
        } else if (body instanceof byte[] bytes) {
            return object(new String(bytes, java.nio.charset.StandardCharsets.UTF_8), what);
        } else if (body instanceof String text) {
            node = readings.parse(text);
        } else {
            throw new InvalidReadingException(Problem.MALFORMED, "not a JSON object",
                    what + " is a " + (body == null ? "null body" : body.getClass().getSimpleName())
                            + "; send JSON text, a Map or a JsonNode");
        }
        if (!node.isObject()) {
            throw new InvalidReadingException(Problem.MALFORMED, "not a JSON object",
                    what + " must be a JSON object like {\"temperature\": 25.5}");
        }
        return (ObjectNode) node;
    }
}
