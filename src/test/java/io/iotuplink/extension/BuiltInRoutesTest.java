package io.iotuplink.extension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The built-in routes named one by one, as camel-main's wildcard {@code classpath:routes/*.camel.yaml} would find
 * them: in a jar (how the bundle runs) and in a class directory (an IDE, the tests).
 */
class BuiltInRoutesTest {

    @TempDir
    Path dir;

    @Test
    void inAJarEveryCamelYamlDirectlyUnderRoutesIsNamedInOrder() throws IOException {
        Path jar = dir.resolve("bundle.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (String name : new String[] {"routes/", "routes/serial.camel.yaml", "routes/file-inbox.camel.yaml",
                    "routes/README.md", "routes/old/kept.camel.yaml", "other/x.camel.yaml", "a.camel.yaml"}) {
                out.putNextEntry(new JarEntry(name));
                out.write("- route: {}".getBytes());
                out.closeEntry();
            }
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            assertEquals(Optional.of("classpath:routes/file-inbox.camel.yaml,classpath:routes/serial.camel.yaml"),
                    BuiltInRoutes.locations(loader));
        }
    }

    @Test
    void inAClassDirectoryToo() throws IOException {
        Path routes = Files.createDirectories(dir.resolve("classes").resolve("routes"));
        Files.writeString(routes.resolve("host-sample.camel.yaml"), "");
        Files.writeString(routes.resolve("notes.txt"), "");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.resolve("classes").toUri().toURL()}, null)) {
            assertEquals(Optional.of("classpath:routes/host-sample.camel.yaml"), BuiltInRoutes.locations(loader));
        }
    }

    @Test
    void everyRoutesDirectoryOnTheClassPathCounts() throws IOException {
        Path first = Files.createDirectories(dir.resolve("one").resolve("routes"));
        Files.writeString(first.resolve("b.camel.yaml"), "");
        Path second = Files.createDirectories(dir.resolve("two with space").resolve("routes"));
        Files.writeString(second.resolve("a.camel.yaml"), "");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.resolve("one").toUri().toURL(),
                dir.resolve("two with space").toUri().toURL()}, null)) {
            assertEquals(Optional.of("classpath:routes/a.camel.yaml,classpath:routes/b.camel.yaml"),
                    BuiltInRoutes.locations(loader));
        }
    }

    @Test
    void withoutRoutesCamelMainsWildcardServes() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty").resolve("routes"));
        try (OutputStream out = Files.newOutputStream(empty.resolve("readme.txt"))) {
            out.write(1);
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.resolve("empty").toUri().toURL()}, null);
                URLClassLoader none = new URLClassLoader(new URL[0], null)) {
            assertEquals(Optional.empty(), BuiltInRoutes.locations(loader), "no route in routes/");
            assertEquals(Optional.empty(), BuiltInRoutes.locations(none), "no routes/ at all");
        }
    }
}
