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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Loads every {@code *.camel.yaml} in {@code uplink.routes-dir} beside the built-in routes, so a user extends the
 * bundle without rebuilding it. A directory that does not exist is simply empty.
 */
public final class RoutesDirectory {

    private static final Logger LOG = LoggerFactory.getLogger(RoutesDirectory.class);

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
            Resource resource = ResourceHelper.resolveResource(context, "file:" + file.toAbsolutePath());
            try {
                PluginHelper.getRoutesLoader(context).loadRoutes(resource);
            } catch (Exception e) {
                throw new ConfigurationException(ConfigReader.envName("uplink.routes-dir") + "=" + dir + ": "
                        + file.getFileName() + " is not a valid Camel YAML route file (" + rootMessage(e) + ")");
            }
        }
        if (!files.isEmpty()) {
            LOG.info("Loaded {} route file(s) from {}: {}", files.size(), dir,
                    files.stream().map(f -> f.getFileName().toString()).toList());
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return String.valueOf(root.getMessage()).lines().findFirst().orElse("");
    }
}
