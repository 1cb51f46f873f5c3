package io.iotuplink.extension;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
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
     * {@code classpath:routes/a.camel.yaml,classpath:routes/b.camel.yaml,…} from every jar or class directory that
     * holds {@code routes/}, as the wildcard would find them; empty when one of them cannot be listed (a nested jar,
     * say: camel-main's wildcard serves then).
     */
    public static Optional<String> locations(ClassLoader loader) {
        Set<String> names = new TreeSet<>();
        try {
            for (URL url : Collections.list(loader.getResources(DIRECTORY))) {
                String location = url.toString();
                if (url.getProtocol().equals("file")) {
                    names.addAll(inDirectory(Path.of(url.toURI())));
                } else if (location.startsWith("jar:file:") && location.endsWith("!/" + DIRECTORY)
                        && location.indexOf("!/") == location.length() - DIRECTORY.length() - 2) {
                    names.addAll(inJar(Path.of(URI.create(location.substring("jar:".length(),
                            location.length() - DIRECTORY.length() - 2)))));
                } else {
                    return Optional.empty();
                }
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
        return names.isEmpty() ? Optional.empty() : Optional.of(names.stream()
                .map(name -> "classpath:" + DIRECTORY + name).collect(Collectors.joining(",")));
    }

    /** Read from the jar's central directory, in a JarFile of our own (never the class loader's, which stays open). */
    private static List<String> inJar(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            return file.stream().map(JarEntry::getName)
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
