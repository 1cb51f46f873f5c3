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
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every route file under routes/ is canonical YAML DSL: valid against camel-yaml-dsl's schema, and loadable. */
class YamlRoutesTest {

    private static final Path ROUTES = Path.of("routes");

    @TestFactory
    Stream<DynamicTest> everyRouteFileIsValid() throws IOException {
        JsonSchema schema;
        try (InputStream in = DefaultCamelContext.class.getClassLoader()
                .getResourceAsStream("schema/camelYamlDsl.json")) {
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(in);
        }
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        Stream<Path> files = Files.list(ROUTES).filter(f -> f.toString().endsWith(".camel.yaml")).sorted();
        return files.map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
            JsonNode routes = yaml.readTree(file.toFile());
            Set<ValidationMessage> problems = schema.validate(routes);
            assertEquals(Set.of(), problems, file + " against the YAML DSL schema");
            try (DefaultCamelContext context = new DefaultCamelContext()) {
                PluginHelper.getRoutesLoader(context).loadRoutes(
                        ResourceHelper.resolveResource(context, "file:" + file.toAbsolutePath()));
                assertTrue(context.getRouteDefinitions().size() >= 1, file + " defines a route");
            }
        }));
    }
}
