package io.iotuplink.envelope;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;

import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Says in plain words what is wrong with a text Jackson could not read as JSON. Jackson's messages name its own
 * features ({@code JsonReadFeature.ALLOW_...}), bound types and a redacted source; a sender needs the mistake and
 * where it is.
 */
public final class JsonSyntax {

    private static final String VALUE = "a string, number, object, array, true, false or null";

    private static final List<Rule> RULES = List.of(
            rule("Unexpected end-of-input: was expecting closing quote", m -> "the text ends inside a string"),
            rule("Unexpected end-of-input: expected close marker for (Object|Array) \\(start marker at .*?line: (\\d+),"
                    + " column: (\\d+)", m -> "the text ends before the " + kind(m.group(1)) + " opened at line "
                    + m.group(2) + ", column " + m.group(3) + " is closed with '" + closer(m.group(1)) + "'"),
            rule("Unexpected end-of-input", m -> "the text ends in the middle of the JSON value"),
            rule("Unexpected close marker '(.)': expected '(.)' \\(for (Object|Array) starting at .*?line: (\\d+),"
                    + " column: (\\d+)", m -> "'" + m.group(1) + "' where the " + kind(m.group(3))
                    + " opened at line " + m.group(4) + ", column " + m.group(5) + " needs '" + m.group(2) + "'"),
            rule("Unexpected close marker '(.)': no open", m -> "'" + m.group(1) + "' closes nothing"),
            rule("Unexpected character \\('(.*?)' \\(code \\d+\\)\\): was expecting double-quote to start field name",
                    m -> "unexpected character '" + m.group(1) + "' where a member name in double quotes belongs"
                            + (m.group(1).equals("}") ? " (a comma before '}'?)" : "")),
            rule("Unexpected character \\('(.*?)' \\(code \\d+\\)\\): was expecting a colon",
                    m -> "unexpected character '" + m.group(1) + "': a ':' must follow a member name"),
            rule("Unexpected character \\('(.*?)' \\(code \\d+\\)\\): was expecting comma to separate Object",
                    m -> "unexpected character '" + m.group(1) + "': a ',' or '}' must follow a member's value"),
            rule("Unexpected character \\('(.*?)' \\(code \\d+\\)\\): was expecting comma to separate Array",
                    m -> "unexpected character '" + m.group(1) + "': a ',' or ']' must follow an array element"),
            rule("Unexpected character \\('/' \\(code \\d+\\)\\): maybe a \\(non-standard\\) comment",
                    m -> "a comment, which JSON does not allow"),
            rule("Unexpected character \\('(.*?)' \\(code \\d+\\)\\) in numeric value: (.*?)(: enable .*)?$",
                    m -> "invalid number: " + numberProblem(m.group(2))),
            rule("Unexpected character \\('(.*?)' \\(code \\d+\\)\\): expected a hex-digit",
                    m -> "a \\u escape needs four hex digits"),
            rule("Unexpected character \\('(.*?)' \\(code \\d+\\)\\)",
                    m -> "unexpected character '" + m.group(1) + "' where a value belongs (" + VALUE + ")"),
            rule("Non-standard token '(.*?)'", m -> "'" + m.group(1) + "' is not a JSON number"),
            rule("Unrecognized token '(.*?)'",
                    m -> "unexpected word '" + m.group(1) + "' where a value belongs (" + VALUE + ")"),
            rule("Invalid numeric value: (.*?)(: enable .*)?$", m -> "invalid number: " + numberProblem(m.group(1))),
            rule("Illegal unquoted character \\(\\(CTRL-CHAR, code (\\d+)\\)\\)",
                    m -> "a control character (code " + m.group(1) + ") inside a string; escape it (\\n, \\t,"
                            + " \\u0001...)"),
            rule("Unrecognized character escape '(.*?)'", m -> "unknown escape '\\" + m.group(1) + "' in a string"),
            rule("Invalid UTF-8", m -> "bytes that are not UTF-8"),
            rule("Trailing token", m -> "data after the JSON value"));

    private JsonSyntax() {
    }

    /** What is wrong, in plain words, without where (see {@link #where}). */
    public static String describe(JsonProcessingException e) {
        String message = String.valueOf(e.getOriginalMessage());
        for (Rule rule : RULES) {
            Matcher matcher = rule.pattern().matcher(message);
            if (matcher.lookingAt()) {
                return rule.phrase().apply(matcher);
            }
        }
        return "not valid JSON";
    }

    /** {@code at line 3, column 7}, or empty when the location is unknown. */
    public static String where(JsonLocation location) {
        return location == null || location.getLineNr() < 1 ? ""
                : "at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    /** The problem and where it is: {@code unexpected character 'x' ... at line 1, column 8}. */
    public static String describeWithLocation(JsonProcessingException e) {
        String where = where(e.getLocation());
        return describe(e) + (where.isEmpty() ? "" : " " + where);
    }

    private static String kind(String jacksonKind) {
        return jacksonKind.equals("Object") ? "object" : "array";
    }

    private static String closer(String jacksonKind) {
        return jacksonKind.equals("Object") ? "}" : "]";
    }

    private static String numberProblem(String jackson) {
        if (jackson.contains("plus sign")) {
            return "a JSON number has no '+' sign";
        }
        if (jackson.contains("Leading zeroes")) {
            return "leading zeroes are not allowed";
        }
        return jackson.isEmpty() ? "" : Character.toLowerCase(jackson.charAt(0)) + jackson.substring(1);
    }

    private static Rule rule(String regex, Function<Matcher, String> phrase) {
        return new Rule(Pattern.compile(regex), phrase);
    }

    private record Rule(Pattern pattern, Function<Matcher, String> phrase) {
    }
}
