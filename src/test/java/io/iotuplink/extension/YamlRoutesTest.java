package io.iotuplink.extension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every route file under routes/ is canonical YAML DSL: valid against camel-yaml-dsl's schema, and loadable. */
class YamlRoutesTest {

    /** The built-in routes, and the ones the Camel K Integration adds. */
    private static final List<Path> ROUTES = List.of(Path.of("routes"), Path.of("k8s/camel-k/routes.d"));

    @TestFactory
    Stream<DynamicTest> everyRouteFileIsValid() throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path dir : ROUTES) {
            try (Stream<Path> listed = Files.list(dir)) {
                listed.filter(f -> f.toString().endsWith(".camel.yaml")).sorted().forEach(files::add);
            }
        }
        return files.stream().map(file -> DynamicTest.dynamicTest(file.toString(),
                () -> assertValid(file.toString(), Files.readString(file))));
    }

    @TestFactory
    Stream<DynamicTest> theDocumentsRouteExamplesAreValid() throws IOException {
        List<Path> documents = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> docs = Files.list(Path.of("docs"))) {
            docs.filter(f -> f.toString().endsWith(".md")).sorted().forEach(documents::add);
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (Path document : documents) {
            Matcher blocks = Pattern.compile("```yaml\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(document));
            int n = 0;
            while (blocks.find()) {
                String example = blocks.group(1);
                tests.add(DynamicTest.dynamicTest(document + " example " + n++,
                        () -> assertValid(document.toString(), example)));
            }
        }
        assertTrue(tests.stream().anyMatch(t -> t.getDisplayName().startsWith("README.md")),
                "the README shows a route example");
        return tests.stream();
    }

    private static void assertValid(String where, String text) throws Exception {
        JsonSchema schema;
        try (InputStream in = DefaultCamelContext.class.getClassLoader()
                .getResourceAsStream("schema/camelYamlDsl.json")) {
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(in);
        }
        JsonNode routes = new ObjectMapper(new YAMLFactory()).readTree(text);
        Set<ValidationMessage> problems = schema.validate(routes);
        assertEquals(Set.of(), problems, where + " against the YAML DSL schema");
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.fromString("example.camel.yaml", text));
            assertTrue(context.getRouteDefinitions().size() >= 1, where + " defines a route");
        }
    }
}
