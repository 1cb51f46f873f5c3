package io.iotuplink.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The OpenAPI v3 schema of one version of a CustomResourceDefinition, checked the way {@code kubectl apply
 * --validate=strict} checks it: a field the schema does not have is an error, except where the schema preserves
 * unknown fields.
 */
final class CrdSchema {

    private final JsonSchema schema;

    private CrdSchema(JsonSchema schema) {
        this.schema = schema;
    }

    /** The schema of {@code version} in the CRD file {@code resource} on the class path. */
    static CrdSchema load(String resource, String version) {
        JsonNode crd;
        try (InputStream in = CrdSchema.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new AssertionError(resource + " is not on the class path");
            }
            crd = Manifests.YAML.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (JsonNode candidate : crd.path("spec").path("versions")) {
            if (version.equals(candidate.path("name").asText())) {
                ObjectNode openApi = (ObjectNode) candidate.path("schema").path("openAPIV3Schema").deepCopy();
                closeObjects(openApi);
                return new CrdSchema(JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(openApi));
            }
        }
        throw new AssertionError(resource + " has no version " + version);
    }

    /** What is wrong with {@code resource}, one line each; empty when it is valid. */
    List<String> problems(JsonNode resource) {
        return schema.validate(resource).stream().map(ValidationMessage::getMessage).sorted().toList();
    }

    /**
     * Refuses unknown fields in every object schema that lists its properties and does not preserve unknown ones,
     * walking only where schemas are (a field may well be called {@code properties} or {@code items}).
     */
    private static void closeObjects(JsonNode schema) {
        if (!(schema instanceof ObjectNode object)) {
            return;
        }
        if (object.has("properties") && !object.has("additionalProperties")
                && !object.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
            object.put("additionalProperties", false);
        }
        for (Iterator<Map.Entry<String, JsonNode>> fields = object.path("properties").fields(); fields.hasNext(); ) {
            closeObjects(fields.next().getValue());
        }
        closeObjects(object.get("items"));
        closeObjects(object.get("additionalProperties"));
        closeObjects(object.get("not"));
        for (String combination : List.of("allOf", "anyOf", "oneOf")) {
            if (object.get(combination) instanceof ArrayNode schemas) {
                schemas.forEach(CrdSchema::closeObjects);
            }
        }
    }
}
