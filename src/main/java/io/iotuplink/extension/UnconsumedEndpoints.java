package io.iotuplink.extension;

import io.iotuplink.ConfigurationException;
import io.iotuplink.config.ClosestName;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.VetoCamelContextStartException;
import org.apache.camel.model.FromDefinition;
import org.apache.camel.model.Model;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.SendDefinition;
import org.apache.camel.model.WireTapDefinition;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Finds a route that sends to a {@code direct:} or {@code seda:} endpoint no route consumes ({@code direct:telemtry}):
 * such a route would start, then block each exchange for 30 s and log a stack trace, so the start stops instead.
 */
public final class UnconsumedEndpoints {

    private static final Set<String> SCHEMES = Set.of("direct", "seda");

    private UnconsumedEndpoints() {
    }

    /**
     * Stops the context's start, before any route runs, when a route sends to an endpoint nothing consumes;
     * {@code failed} gets the problems first (for the exit code).
     */
    public static void refuseAtStart(CamelContext context, Function<String, String> labelOf,
            Consumer<ConfigurationException> failed) throws Exception {
        context.addStartupListener(new StartupListener() {
            @Override
            public void onCamelContextStarting(CamelContext starting, boolean alreadyStarted)
                    throws VetoCamelContextStartException {
                List<String> problems = problems(starting, labelOf);
                if (!problems.isEmpty()) {
                    ConfigurationException problem = new ConfigurationException(problems);
                    failed.accept(problem);
                    // a veto is not logged with a stack trace by Camel
                    throw new VetoCamelContextStartException(problems.get(0), problem, starting, true);
                }
            }

            @Override
            public void onCamelContextStarted(CamelContext started, boolean alreadyStarted) {
                // checked before the routes start
            }
        });
    }

    /**
     * One line per send to an unconsumed endpoint: the file ({@code labelOf} names a route file's location, null
     * for the bundle's own), the route, the line, the endpoint and the nearest one that is consumed.
     */
    public static List<String> problems(CamelContext context, Function<String, String> labelOf) {
        List<RouteDefinition> routes = context.getCamelContextExtension().getContextPlugin(Model.class)
                .getRouteDefinitions();
        Set<String> consumed = new TreeSet<>();
        for (RouteDefinition route : routes) {
            FromDefinition from = route.getInput();
            String endpoint = from == null ? null : endpoint(context, from.getEndpointUri());
            if (endpoint != null) {
                consumed.add(endpoint);
            }
        }
        List<String> problems = new ArrayList<>();
        for (RouteDefinition route : routes) {
            sends(route.getOutputs(), route, context, consumed, labelOf, problems);
        }
        return problems;
    }

    private static void sends(List<ProcessorDefinition<?>> steps, RouteDefinition route, CamelContext context,
            Set<String> consumed, Function<String, String> labelOf, List<String> problems) {
        for (ProcessorDefinition<?> step : steps) {
            String uri = step instanceof SendDefinition<?> send ? send.getEndpointUri()
                    : step instanceof WireTapDefinition<?> tap && !tap.getUri().contains("${") ? tap.getUri() : null;
            String endpoint = uri == null || uri.toLowerCase(Locale.ROOT).contains("failifnoconsumers=false") ? null
                    : endpoint(context, uri);
            if (endpoint != null && !consumed.contains(endpoint)) {
                String location = route.getResource() == null ? null : route.getResource().getLocation();
                String label = labelOf.apply(location);
                String file = label != null ? label : location != null ? location : "the bundle's routes";
                String nearest = ClosestName.among(endpoint, consumed).map(n -> " (did you mean " + n + "?)")
                        .orElse("");
                problems.add(file + ", route '" + route.getRouteId() + "'"
                        + (step.getLineNumber() > 0 ? ", line " + step.getLineNumber() : "") + ": sends to " + endpoint
                        + ", which no route consumes" + nearest);
            }
            sends(step.getOutputs(), route, context, consumed, labelOf, problems);
        }
    }

    /** {@code direct:name} for a direct: or seda: URI (placeholders resolved, options dropped), else null. */
    private static String endpoint(CamelContext context, String uri) {
        if (uri == null) {
            return null;
        }
        String resolved;
        try {
            resolved = context.resolvePropertyPlaceholders(uri);
        } catch (RuntimeException e) {
            return null;
        }
        int colon = resolved.indexOf(':');
        if (colon < 0 || !SCHEMES.contains(resolved.substring(0, colon).toLowerCase(Locale.ROOT))) {
            return null;
        }
        String name = resolved.substring(colon + 1).replaceFirst("^//", "");
        int query = name.indexOf('?');
        return resolved.substring(0, colon).toLowerCase(Locale.ROOT) + ":" + (query < 0 ? name
                : name.substring(0, query));
    }
}
