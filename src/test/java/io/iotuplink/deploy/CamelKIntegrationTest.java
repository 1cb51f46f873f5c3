package io.iotuplink.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Service;
import io.iotuplink.http.ApiAuthentication;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * k8s/camel-k is what the Camel K 2.4 operator accepts (its CRD schemas, from camel-k-crds), and runs the same
 * image, settings, certificates, routes and outbox volume as the plain manifests.
 */
class CamelKIntegrationTest {

    private static final Path CAMEL_K = Manifests.K8S.resolve("camel-k");
    private static final Path INTEGRATION = CAMEL_K.resolve("integration.yaml");
    private static final CrdSchema SCHEMA = CrdSchema.load("camel.apache.org_integrations.yaml", "v1");

    @Test
    void theIntegrationIsValidAgainstCamelKsSchema() throws Exception {
        ObjectNode integration = integration();
        assertEquals("camel.apache.org/v1", integration.path("apiVersion").asText());
        assertEquals(List.of(), SCHEMA.problems(integration));
        ObjectMeta metadata = Manifests.YAML.treeToValue(integration.path("metadata"), ObjectMeta.class);
        assertEquals(List.of(), Manifests.unknownFields(metadata));
    }

    @Test
    void aMisspeltTraitOptionIsCaught() {
        ObjectNode integration = integration();
        ((ObjectNode) integration.path("spec").path("traits").path("health")).put("livenesProbe", "/typo");
        List<String> problems = SCHEMA.problems(integration);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("livenesProbe"), problems.get(0));
    }

    @Test
    void everyOtherResourceBindsToItsKubernetesModel() throws Exception {
        JsonNode claim = Manifests.document(CAMEL_K.resolve("outbox-pvc.yaml"), "PersistentVolumeClaim");
        PersistentVolumeClaim bound = Manifests.YAML.treeToValue(claim, PersistentVolumeClaim.class);
        assertEquals(List.of(), Manifests.unknownFields(bound));
        Service service = Manifests.YAML.treeToValue(
                Manifests.document(CAMEL_K.resolve("service.yaml"), "Service"), Service.class);
        assertEquals(List.of(), Manifests.unknownFields(service));
        String name = integration().path("metadata").path("name").asText();
        assertEquals(Map.of("camel.apache.org/integration", name), service.getSpec().getSelector(),
                "the Service finds the Integration's pods by the label Camel K gives them");
        assertEquals(integration().path("spec").path("traits").path("container").path("port").asInt(),
                service.getSpec().getPorts().get(0).getTargetPort().getIntVal());
        Set<String> listed = new TreeSet<>();
        kustomization().path("resources").forEach(r -> listed.add(r.asText()));
        assertEquals(Set.of("integration.yaml", "outbox-pvc.yaml", "service.yaml"), listed);
        Set<String> files = new TreeSet<>();
        Manifests.yamlFiles(CAMEL_K).stream().map(f -> CAMEL_K.relativize(f).toString())
                .filter(f -> !f.startsWith("routes.d/") && !f.equals("kustomization.yaml")).forEach(files::add);
        assertEquals(listed, files, "every manifest is applied by the kustomization");
    }

    @Test
    void theRoutesItAddsExistInTheRepositoryAndAreMountedWhereTheBundleLoadsThem() {
        Map<String, String> env = env();
        List<String> routeFiles = new ArrayList<>();
        for (JsonNode generator : kustomization().path("configMapGenerator")) {
            if (generator.path("name").asText().equals("iot-uplink-routes")) {
                assertTrue(generator.path("options").path("disableNameSuffixHash").asBoolean(),
                        "the Integration names the ConfigMap without kustomize's hash");
                generator.path("files").forEach(f -> routeFiles.add(f.asText()));
            }
        }
        assertFalse(routeFiles.isEmpty());
        for (String file : routeFiles) {
            assertTrue(Files.isRegularFile(CAMEL_K.resolve(file)), file + " exists");
            assertTrue(file.endsWith(".camel.yaml"), file + " is loaded as YAML DSL");
        }
        assertTrue(mountTrait("resources").contains("configmap:iot-uplink-routes@" + env.get("UPLINK_ROUTES_DIR")));
    }

    @Test
    void runsTheImageAsItIsWithHealthProbesOnCamelMain() {
        JsonNode traits = integration().path("spec").path("traits");
        assertEquals(DockerfileTest.imageRepository(), traits.path("container").path("image").asText()
                .replaceAll("^.*/", "").replaceAll(":.*$", ""), "the Dockerfile's image");
        assertTrue(traits.path("jvm").isMissingNode(), "the image's own entry point runs the jar");
        assertEquals(DockerfileTest.imageUserId(), traits.path("container").path("runAsUser").asInt());
        assertTrue(traits.path("container").path("runAsNonRoot").asBoolean());
        JsonNode pod = integration().path("spec").path("template").path("spec");
        assertEquals(DockerfileTest.imageUserId(), pod.path("securityContext").path("fsGroup").asInt(),
                "the image's user may write the outbox on a new claim");
        assertEquals("integration", pod.path("containers").path(0).path("name").asText(),
                "the pod template merges into Camel K's own container");
        assertEquals(env().get("CAMEL_SERVER_PORT"), traits.path("container").path("port").asText());
        assertEquals("/observe/health/live", traits.path("health").path("livenessProbe").asText());
        assertEquals("/observe/health/ready", traits.path("health").path("readinessProbe").asText());
        assertEquals("Recreate", traits.path("deployment").path("strategy").asText(),
                "never two pods with one client id");
    }

    @Test
    void configurationCertificatesAndOutboxComeFromTheirKubernetesResources() throws Exception {
        Map<String, String> env = env();
        String name = integration().path("metadata").path("name").asText();
        assertEquals(name, env.get("AWS_IOT_CLIENT_ID"), "the client id is the Integration's (the thing's) name");

        assertEquals(List.of("configmap:iot-uplink-config"), mountTrait("configs"));
        assertEquals("iot-uplink-config", Manifests.document(Manifests.K8S.resolve("plain/configmap.yaml"),
                "ConfigMap").path("metadata").path("name").asText(), "the ConfigMap the plain manifests define");
        assertEquals("/etc/camel/conf.d/_configmaps/iot-uplink-config",
                env.get("CAMEL_MAIN_CLOUD_PROPERTIES_LOCATION"), "where the mount trait puts a config");

        String certs = mountTrait("resources").stream().filter(r -> r.startsWith("secret:iot-uplink-certs@"))
                .findFirst().orElseThrow().substring("secret:iot-uplink-certs@".length());
        for (String variable : List.of("AWS_IOT_CERT_PATH", "AWS_IOT_KEY_PATH", "AWS_IOT_CA_PATH")) {
            assertTrue(env.get(variable).startsWith(certs + "/"), variable + " is in the mounted Secret");
        }
        assertTrue(env.get("AWS_IOT_CERT_PATH").endsWith("/" + name + ".cert.pem"), "the device's own certificate");

        String claim = Manifests.document(CAMEL_K.resolve("outbox-pvc.yaml"), "PersistentVolumeClaim")
                .path("metadata").path("name").asText();
        String volume = mountTrait("volumes").get(0);
        assertTrue(volume.startsWith(claim + ":"), volume);
        assertTrue(env.get("UPLINK_DATA_DIR").startsWith(volume.substring(claim.length() + 1) + "/"),
                "the outbox is on the claim");

        Set<String> unknown = new TreeSet<>(env.keySet());
        unknown.removeAll(Manifests.documentedSettings());
        assertEquals(Set.of(), unknown, "variables docs/configuration.md does not document");
    }

    @Test
    void theApiTokenComesFromAMountedSecretNeverFromTheIntegration() {
        Map<String, String> env = env();
        assertFalse(ApiAuthentication.isLoopback(env.get("CAMEL_SERVER_HOST")), "bound beyond loopback: a token is due");
        assertFalse(env.containsKey("UPLINK_API_TOKEN"), "no token written in the Integration");
        String file = env.get("UPLINK_API_TOKEN_FILE");
        assertTrue(file != null, "UPLINK_API_TOKEN_FILE");

        String mounted = mountTrait("resources").stream()
                .filter(r -> r.startsWith("secret:") && file.startsWith(r.substring(r.indexOf('@') + 1) + "/"))
                .findFirst().orElseThrow(() -> new AssertionError(file + " is in no mounted Secret"));
        String secret = mounted.substring("secret:".length(), mounted.indexOf('@'));
        String key = file.substring(mounted.substring(mounted.indexOf('@') + 1).length() + 1);
        JsonNode template = Manifests.document(Manifests.K8S.resolve("plain/secret-template.yaml"), "Secret", secret);
        assertTrue(template.path("stringData").has(key), "the Secret template holds " + key);
        assertFalse(secret.equals("iot-uplink-certs"), "a Secret of its own, not the device's certificates");
        assertTrue(integration().path("spec").path("traits").path("health").path("startupProbe").asText()
                .startsWith("/observe/health/"), "the probes ask the one path open without the token");
    }

    private static ObjectNode integration() {
        return Manifests.document(INTEGRATION, "Integration");
    }

    private static JsonNode kustomization() {
        return Manifests.document(CAMEL_K.resolve("kustomization.yaml"), "Kustomization");
    }

    private static List<String> mountTrait(String option) {
        List<String> values = new ArrayList<>();
        integration().path("spec").path("traits").path("mount").path(option).forEach(v -> values.add(v.asText()));
        return values;
    }

    private static Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        integration().path("spec").path("traits").path("environment").path("vars").forEach(v -> {
            String[] pair = v.asText().split("=", 2);
            env.put(pair[0], pair[1]);
        });
        return env;
    }
}
