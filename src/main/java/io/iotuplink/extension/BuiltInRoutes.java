package io.iotuplink.extension;

import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The built-in input routes ({@code routes/*.camel.yaml} in the jar) named one by one, for camel-main's
 * {@code camel.main.routes-include-pattern}: with the wildcard, camel-main finds them by reading the whole jar
 * through a stream (about half a second of every start on a gateway-sized jar); the jar's own index lists them in
 * milliseconds. Whatever is added to {@code routes/} before the build is listed too.
 */
public final class BuiltInRoutes {

    /** The property that {@code application.properties} puts in {@code camel.main.routes-include-pattern}. */
    public static final String PROPERTY = "uplink.built-in-routes";
    private static final String DIRECTORY = "routes/";
    private static final String SUFFIX = ".camel.yaml";

    private BuiltInRoutes() {
    }

    /**
     * {@code classpath:routes/a.camel.yaml,classpath:routes/b.camel.yaml,…} from the jar (or the class directory)
     * that holds {@code routes/}; empty when it cannot be listed (camel-main's wildcard serves then).
     */
    public static Optional<String> locations(ClassLoader loader) {
        URL url = loader.getResource(DIRECTORY);
        if (url == null) {
            return Optional.empty();
        }
        try {
            List<String> names = switch (url.getProtocol()) {
                case "jar" -> inJar(url);
                case "file" -> inDirectory(Path.of(url.toURI()));
                default -> List.of();
            };
            return names.isEmpty() ? Optional.empty() : Optional.of(names.stream().sorted()
                    .map(name -> "classpath:" + DIRECTORY + name).collect(Collectors.joining(",")));
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static List<String> inJar(URL url) throws IOException {
        JarURLConnection connection = (JarURLConnection) url.openConnection();
        connection.setUseCaches(false); // a JarFile of our own, closed here
        try (JarFile jar = connection.getJarFile()) {
            return jar.stream().map(JarEntry::getName)
                    .filter(name -> name.startsWith(DIRECTORY) && name.endsWith(SUFFIX)
                            && name.indexOf('/', DIRECTORY.length()) < 0)
                    .map(name -> name.substring(DIRECTORY.length())).toList();
        }
    }

    private static List<String> inDirectory(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(name -> name.endsWith(SUFFIX)).toList();
        }
    }
}
