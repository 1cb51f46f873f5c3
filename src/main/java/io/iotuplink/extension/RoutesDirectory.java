package io.iotuplink.extension;

import io.iotuplink.ConfigurationException;
import io.iotuplink.config.ConfigReader;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Loads every {@code *.camel.yaml} in {@code uplink.routes-dir} beside the built-in routes, so a user extends the
 * bundle without rebuilding it (a directory that does not exist is simply empty), and the publish route.
 */
public final class RoutesDirectory {

    private static final Logger LOG = LoggerFactory.getLogger(RoutesDirectory.class);
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([A-Za-z0-9._-]+)(?::[^}]*)?}}");

    private RoutesDirectory() {
    }

    public static void load(CamelContext context, Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        List<Path> files;
        try (Stream<Path> listing = Files.list(dir)) {
            files = listing.filter(f -> f.getFileName().toString().endsWith(".camel.yaml")).sorted().toList();
        } catch (IOException e) {
            throw new ConfigurationException(ConfigReader.envName("uplink.routes-dir") + "=" + dir
                    + ": cannot list the directory (" + e.getMessage() + ")");
        }
        for (Path file : files) {
            load(context, "file:" + file.toAbsolutePath().normalize(), label(dir, file));
        }
        if (!files.isEmpty()) {
            // the routes they hold are named in the bundle's line of running routes
            LOG.debug("Loaded {} route file(s) from {}: {}", files.size(), dir,
                    files.stream().map(f -> f.getFileName().toString()).toList());
        }
    }

    /**
     * The property keys the route files in {@code dir} name as placeholders ({@code {{boiler.host}}},
     * {@code {{boiler.host:default}}}): settings of the user's own, which an environment variable may set.
     */
    public static Set<String> placeholders(Path dir) {
        Set<String> keys = new TreeSet<>();
        if (!Files.isDirectory(dir)) {
            return keys;
        }
        try (Stream<Path> listing = Files.list(dir)) {
            for (Path file : listing.filter(f -> f.getFileName().toString().endsWith(".camel.yaml")).toList()) {
                Matcher matcher = PLACEHOLDER.matcher(Files.readString(file));
                while (matcher.find()) {
                    keys.add(matcher.group(1));
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // loading the files names what is wrong with them
        }
        return keys;
    }

    /**
     * Loads the publish route: the built-in {@code routes/publish.camel.yaml}, or the user's copy named by
     * {@code uplink.publish-route}.
     */
    public static void loadPublishRoute(CamelContext context, String location) {
        load(context, location, ConfigReader.envName("uplink.publish-route") + "=" + location);
        if (!ConfigReader.BUILT_IN_PUBLISH_ROUTE.equals(location)) {
            LOG.info("The publish route comes from {}", location);
        }
    }

    /**
     * How a problem names a user's route file ({@code UPLINK_ROUTES_DIR=routes.d: mine.camel.yaml}), by its
     * resource location; null for the bundle's own routes.
     */
    public static String label(String location, Path dir, String publishRoute) {
        if (location == null) {
            return null;
        }
        if (location.equals(publishRoute) && !ConfigReader.BUILT_IN_PUBLISH_ROUTE.equals(publishRoute)) {
            return ConfigReader.envName("uplink.publish-route") + "=" + publishRoute;
        }
        if (location.startsWith("file:")) {
            Path file = Path.of(location.substring("file:".length()));
            if (file.getParent() != null && file.getParent().equals(dir.toAbsolutePath().normalize())) {
                return label(dir, file);
            }
        }
        return null;
    }

    private static String label(Path dir, Path file) {
        return ConfigReader.envName("uplink.routes-dir") + "=" + dir + ": " + file.getFileName();
    }

    private static void load(CamelContext context, String location, String what) {
        Resource resource = ResourceHelper.resolveResource(context, location);
        try {
            PluginHelper.getRoutesLoader(context).loadRoutes(resource);
        } catch (Exception e) {
            throw new ConfigurationException(RouteProblems.loading(what, location, e));
        }
    }
}
