package io.iotuplink.extension;

import org.apache.camel.CamelContext;
import org.apache.camel.FailedToCreateRouteException;
import org.apache.camel.FailedToStartRouteException;
import org.apache.camel.NoSuchBeanException;
import org.apache.camel.NoSuchEndpointException;
import org.apache.camel.ResolveEndpointFailedException;
import org.apache.camel.dsl.yaml.common.exception.YamlDeserializationException;
import org.apache.camel.model.FromDefinition;
import org.apache.camel.model.Model;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Says in one line what is wrong with a user's route file: the file, the route id and the line where they are
 * known, the problem, and what to check. Camel's own text (a stack of wrapped exceptions, the whole route printed
 * back) is for Camel's developers, not for someone who mistyped a component name.
 */
public final class RouteProblems {

    private static final Pattern ROUTE_START = Pattern.compile("^\\s*-\\s*route\\s*:");
    private static final Pattern ROUTE_ID = Pattern.compile("^\\s*id\\s*:\\s*[\"']?([^\"'#\\s]+)");
    private static final Pattern FAILED_AT = Pattern.compile(">>> (.*?) <<<");
    private static final Pattern UNKNOWN_OPTIONS = Pattern.compile("Unknown parameters=\\[\\{(.*)}]");

    private RouteProblems() {
    }

    /** Why a route file could not be loaded: YAML syntax, or YAML the Camel DSL does not know. */
    static String loading(String what, String location, Exception e) {
        MarkedYamlEngineException marked = find(e, MarkedYamlEngineException.class);
        if (marked == null || marked.getProblemMark().isEmpty()) {
            return what + ": not a valid Camel YAML route file (" + firstLine(innermost(e).getMessage()) + ")";
        }
        int line = marked.getProblemMark().get().getLine() + 1;
        int column = marked.getProblemMark().get().getColumn() + 1;
        String route = routeIdAt(location, line).map(id -> ", route '" + id + "'").orElse("");
        // the Camel DSL's own exceptions (unsupported field, invalid endpoint...) share their package, not a type
        if (marked.getClass().getPackageName().equals(YamlDeserializationException.class.getPackageName())) {
            return what + route + ", line " + line + ": " + lowerFirst(marked.getProblem())
                    + " (check the key's spelling and indentation against the Camel YAML DSL)";
        }
        return what + route + ", line " + line + ", column " + column + ": not valid YAML ("
                + marked.getProblem() + "; check the indentation, spaces only, and the quoting on that line or the"
                + " one before)";
    }

    /**
     * Why a route could not start, if it is one of the user's: {@code labelOf} names a route file's location (as
     * {@code UPLINK_ROUTES_DIR=routes.d: mine.camel.yaml}), or gives null for the bundle's own files.
     */
    public static Optional<String> starting(CamelContext context, Throwable failure,
            Function<String, String> labelOf) {
        FailedToCreateRouteException create = find(failure, FailedToCreateRouteException.class);
        FailedToStartRouteException start = find(failure, FailedToStartRouteException.class);
        String routeId = create != null ? create.getRouteId() : start != null ? start.getRouteId() : null;
        if (routeId == null || context == null) {
            return Optional.empty();
        }
        RouteDefinition route = context.getCamelContextExtension().getContextPlugin(Model.class)
                .getRouteDefinition(routeId);
        if (route == null || route.getResource() == null) {
            return Optional.empty();
        }
        String label = labelOf.apply(route.getResource().getLocation());
        if (label == null) {
            return Optional.empty();
        }
        int line = create == null ? -1 : failedLine(route, create.getMessage());
        return Optional.of(label + ", route '" + routeId + "'" + (line > 0 ? ", line " + line : "") + ": "
                + describe(failure));
    }

    /** The problem itself, with what to check. */
    private static String describe(Throwable failure) {
        NoSuchEndpointException noEndpoint = find(failure, NoSuchEndpointException.class);
        if (noEndpoint != null && noEndpoint.getUri() != null) {
            String scheme = noEndpoint.getUri().split(":", 2)[0];
            return "unknown component '" + scheme + "' (is the name right, or is its camel-" + scheme
                    + " jar missing from the class path?)";
        }
        NoSuchBeanException noBean = find(failure, NoSuchBeanException.class);
        if (noBean != null) {
            return "no bean named '" + noBean.getName() + "' in the registry (is the name right?)";
        }
        ResolveEndpointFailedException endpoint = find(failure, ResolveEndpointFailedException.class);
        if (endpoint != null) {
            Matcher unknown = UNKNOWN_OPTIONS.matcher(String.valueOf(endpoint.getMessage()));
            if (unknown.find()) {
                List<String> names = Arrays.stream(unknown.group(1).split(",\\s*"))
                        .map(option -> option.split("=", 2)[0]).toList();
                return "unknown option" + (names.size() == 1 ? " '" + names.get(0) + "'" : "s " + names) + " in "
                        + endpoint.getUri() + " (check the spelling against the component's documented options)";
            }
            return "cannot use the endpoint " + endpoint.getUri() + " (" + firstLine(innermost(failure).getMessage())
                    + ")";
        }
        return "cannot create the route (" + firstLine(innermost(failure).getMessage()) + ")";
    }

    /** The line of the step Camel names in its message (">>> to[timmer:boiler] <<<"), else of the route's from. */
    private static int failedLine(RouteDefinition route, String message) {
        Matcher at = FAILED_AT.matcher(String.valueOf(message));
        if (at.find()) {
            int line = lineOf(route.getOutputs(), at.group(1));
            if (line > 0) {
                return line;
            }
        }
        FromDefinition from = route.getInput();
        return from == null ? route.getLineNumber() : from.getLineNumber();
    }

    private static int lineOf(List<ProcessorDefinition<?>> steps, String text) {
        for (ProcessorDefinition<?> step : steps) {
            if (text.equals(step.toString()) && step.getLineNumber() > 0) {
                return step.getLineNumber();
            }
            int inside = lineOf(step.getOutputs(), text);
            if (inside > 0) {
                return inside;
            }
        }
        return -1;
    }

    /** The id of the route that holds {@code line} of the file: the last {@code id:} since the last "- route:". */
    private static Optional<String> routeIdAt(String location, int line) {
        if (location == null || !location.startsWith("file:")) {
            return Optional.empty();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of(location.substring("file:".length())));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        String id = null;
        int childIndent = -1;
        for (int i = 0; i < Math.min(line, lines.size()); i++) {
            String text = lines.get(i);
            if (ROUTE_START.matcher(text).find()) {
                id = null;
                childIndent = -1;
            } else if (childIndent < 0 && !text.isBlank()) {
                // the route's own keys (id, from...) are indented like its first one; a step's id is deeper
                childIndent = indent(text);
            }
            Matcher matcher = ROUTE_ID.matcher(text);
            if (id == null && indent(text) == childIndent && matcher.find()) {
                id = matcher.group(1);
            }
        }
        return Optional.ofNullable(id);
    }

    private static int indent(String text) {
        int n = 0;
        while (n < text.length() && text.charAt(n) == ' ') {
            n++;
        }
        return n;
    }

    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static Throwable innermost(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }

    private static String firstLine(String message) {
        return String.valueOf(message).lines().findFirst().orElse("").trim();
    }

    private static String lowerFirst(String text) {
        return text == null || text.isEmpty() ? "" : Character.toLowerCase(text.charAt(0)) + text.substring(1);
    }
}
