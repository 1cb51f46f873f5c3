package io.iotuplink.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Reads the deployment files (k8s/, the Dockerfile, docs/configuration.md) for the deploy tests. */
final class Manifests {

    static final Path K8S = Path.of("k8s");
    static final ObjectMapper YAML = new YAMLMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    private Manifests() {
    }

    /** Every YAML file under {@code dir}, sorted. */
    static List<Path> yamlFiles(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The documents of one YAML file (a file may hold several, separated by {@code ---}). */
    static List<JsonNode> documents(Path file) {
        try {
            List<JsonNode> documents = new ArrayList<>();
            var parser = new YAMLFactory().createParser(file.toFile());
            try (var values = YAML.readerFor(JsonNode.class).readValues(parser)) {
                while (values.hasNext()) {
                    JsonNode document = (JsonNode) values.next();
                    if (document != null && !document.isNull() && !document.isMissingNode()) {
                        documents.add(document);
                    }
                }
            }
            return documents;
        } catch (IOException e) {
            throw new AssertionError(file + " is not valid YAML: " + e.getMessage(), e);
        }
    }

    /** The one document of {@code kind} in {@code file}. */
    static ObjectNode document(Path file, String kind) {
        List<JsonNode> found = documents(file).stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
        if (found.size() != 1) {
            throw new AssertionError(file + " should hold one " + kind + ", holds " + found.size());
        }
        return (ObjectNode) found.get(0);
    }

    /** The document of {@code kind} named {@code name} in {@code file}. */
    static ObjectNode document(Path file, String kind, String name) {
        return (ObjectNode) documents(file).stream().filter(d -> kind.equals(d.path("kind").asText())
                && name.equals(d.path("metadata").path("name").asText())).findFirst()
                .orElseThrow(() -> new AssertionError(file + " holds no " + kind + " named " + name));
    }

    /**
     * Where a fabric8 model kept fields it does not know (its {@code additionalProperties}): a misspelt or misplaced
     * field, which Kubernetes would drop or refuse.
     */
    static List<String> unknownFields(Object model) {
        List<String> found = new ArrayList<>();
        collectUnknownFields(model, model.getClass().getSimpleName(), found);
        return found;
    }

    private static void collectUnknownFields(Object value, String path, List<String> found) {
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                collectUnknownFields(item, path + "[" + i++ + "]", found);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((key, item) -> collectUnknownFields(item, path + "." + key, found));
            return;
        }
        if (value == null || !value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get")
                    || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Object field = invoke(getter, value);
            if (getter.getName().equals("getAdditionalProperties")) {
                if (field instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    found.add(path + ": " + new TreeSet<>(extra.keySet().stream().map(String::valueOf).toList()));
                }
            } else {
                String name = getter.getName().substring(3);
                collectUnknownFields(field, path + "." + Character.toLowerCase(name.charAt(0)) + name.substring(1),
                        found);
            }
        }
    }

    private static Object invoke(Method getter, Object target) {
        try {
            return getter.invoke(target);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException(getter + ": " + e, e);
        }
    }

    /** The environment variables and property keys the configuration reference (docs/configuration.md) documents. */
    static Set<String> documentedSettings() {
        try {
            String readme = Files.readString(Path.of("docs", "configuration.md"));
            int start = readme.indexOf("| environment variable | property |");
            int end = readme.indexOf("\n\n", start);
            Set<String> names = new TreeSet<>();
            Matcher code = Pattern.compile("`([A-Za-z0-9_.\\-]+)`").matcher(readme.substring(start, end));
            while (code.find()) {
                names.add(code.group(1));
            }
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
