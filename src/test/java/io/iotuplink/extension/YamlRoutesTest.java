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
    Stream<DynamicTest> theReadmesRouteExamplesAreValid() throws IOException {
        Matcher blocks = Pattern.compile("```yaml\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(
                Path.of("README.md")));
        List<String> examples = new ArrayList<>();
        while (blocks.find()) {
            examples.add(blocks.group(1));
        }
        assertTrue(!examples.isEmpty(), "the README shows a route example");
        return examples.stream().map(example -> DynamicTest.dynamicTest("README example " + examples.indexOf(example),
                () -> assertValid("README.md", example)));
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
