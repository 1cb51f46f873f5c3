package io.iotuplink.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.iotuplink.http.ApiAuthentication;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** k8s/plain is what {@code kubectl apply -k} would accept, and runs the bundle the way the README says. */
class PlainManifestsTest {

    private static final Path PLAIN = Manifests.K8S.resolve("plain");
    private static final Map<String, Class<? extends HasMetadata>> MODELS = Map.of(
            "ConfigMap", ConfigMap.class, "Secret", Secret.class, "Service", Service.class,
            "StatefulSet", StatefulSet.class, "NetworkPolicy", NetworkPolicy.class,
            "PersistentVolumeClaim", io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class);

    @TestFactory
    Stream<DynamicTest> everyResourceBindsToItsKubernetesModelWithoutUnknownFields() {
        return Manifests.yamlFiles(PLAIN).stream().filter(f -> !f.endsWith("kustomization.yaml"))
                .map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
                    List<JsonNode> documents = Manifests.documents(file);
                    assertFalse(documents.isEmpty(), file + " holds a resource");
                    for (JsonNode document : documents) {
                        bind(file, document);
                    }
                }));
    }

    @Test
    void aMisspeltFieldIsCaught() {
        ObjectNode statefulSet = Manifests.document(PLAIN.resolve("statefulset.yaml"), "StatefulSet");
        ((ObjectNode) statefulSet.path("spec").path("template").path("spec")).put("securityContxt", "typo");
        AssertionError error = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> bind(PLAIN.resolve("statefulset.yaml"), statefulSet));
        assertTrue(error.getMessage().contains("spec.template.spec: [securityContxt]"), error.getMessage());
    }

    @Test
    void theKustomizationListsEveryResourceButTheSecretTemplate() {
        JsonNode kustomization = Manifests.documents(PLAIN.resolve("kustomization.yaml")).get(0);
        assertEquals("Kustomization", kustomization.path("kind").asText());
        Set<String> listed = new TreeSet<>();
        kustomization.path("resources").forEach(r -> listed.add(r.asText()));
        Set<String> files = Manifests.yamlFiles(PLAIN).stream().map(f -> f.getFileName().toString())
                .filter(f -> !f.equals("kustomization.yaml") && !f.equals("secret-template.yaml"))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(files, listed, "every manifest is a kustomize resource, and only those (no key is applied)");
        assertEquals(container().getImage(), kustomization.path("images").get(0).path("name").asText(),
                "the kustomization sets the StatefulSet's image");
    }

    @Test
    void probesAskCamelMainsHealthOnTheHttpPort() {
        Container container = container();
        int port = Integer.parseInt(env(container).get("CAMEL_SERVER_PORT"));
        Function<Probe, Integer> portOf = probe -> {
            assertNotNull(probe, "a probe");
            String name = probe.getHttpGet().getPort().getStrVal();
            return container.getPorts().stream().filter(p -> p.getName().equals(name))
                    .map(ContainerPort::getContainerPort).findFirst().orElseThrow();
        };
        assertEquals("/observe/health/live", container.getLivenessProbe().getHttpGet().getPath());
        assertEquals("/observe/health/ready", container.getReadinessProbe().getHttpGet().getPath());
        assertEquals("/observe/health/live", container.getStartupProbe().getHttpGet().getPath());
        assertEquals(port, portOf.apply(container.getLivenessProbe()));
        assertEquals(port, portOf.apply(container.getReadinessProbe()));
        assertEquals("0.0.0.0", env(container).get("CAMEL_SERVER_HOST"), "probes reach the pod's address");
        for (Probe probe : List.of(container.getLivenessProbe(), container.getReadinessProbe(),
                container.getStartupProbe())) {
            assertTrue(probe.getHttpGet().getPath().startsWith("/observe/health/"), "the one path open without the"
                    + " API token: " + probe.getHttpGet().getPath());
        }
    }

    @Test
    void podRunsAsTheImagesNonRootUserOnAReadOnlyRootFileSystem() {
        PodSpec pod = statefulSet().getSpec().getTemplate().getSpec();
        Container container = container();
        assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot());
        assertEquals(DockerfileTest.imageUserId(), pod.getSecurityContext().getRunAsUser());
        assertEquals(Boolean.TRUE, container.getSecurityContext().getReadOnlyRootFilesystem());
        assertEquals(Boolean.FALSE, container.getSecurityContext().getAllowPrivilegeEscalation());
        assertEquals("/tmp", mountOf(container, "tmp").getMountPath());
        assertNotNull(volume(pod, "tmp").getEmptyDir(), "a writable /tmp for native libraries");
    }

    @Test
    void resourcesAreRequestedAndMemoryIsCapped() {
        var resources = container().getResources();
        assertNotNull(resources.getRequests().get("cpu"));
        long requested = Quantity.getAmountInBytes(resources.getRequests().get("memory")).longValue();
        long limit = Quantity.getAmountInBytes(resources.getLimits().get("memory")).longValue();
        assertTrue(requested >= 400L << 20, "at least the benchmark's resident memory is requested");
        assertTrue(limit >= requested, "the limit is above the request");
    }

    @Test
    void eachPodIsOneDeviceWithItsOwnClientIdCertificateAndOutbox() {
        StatefulSet statefulSet = statefulSet();
        Container container = container();
        Map<String, String> env = env(container);
        EnvVar podName = container.getEnv().get(0);
        assertEquals("POD_NAME", podName.getName(), "defined first, so later values can use $(POD_NAME)");
        assertEquals("metadata.name", podName.getValueFrom().getFieldRef().getFieldPath());
        assertEquals("$(POD_NAME)", env.get("AWS_IOT_CLIENT_ID"));

        String certs = mountOf(container, "certs").getMountPath();
        assertTrue(mountOf(container, "certs").getReadOnly());
        String firstPod = statefulSet.getMetadata().getName() + "-0";
        String certsSecret = volume(statefulSet.getSpec().getTemplate().getSpec(), "certs").getSecret()
                .getSecretName();
        Secret template = secretTemplate(certsSecret);
        for (String variable : List.of("AWS_IOT_CERT_PATH", "AWS_IOT_KEY_PATH", "AWS_IOT_CA_PATH")) {
            String path = env.get(variable).replace("$(POD_NAME)", firstPod);
            assertTrue(path.startsWith(certs + "/"), variable + " is in the certificates' volume");
            assertTrue(template.getStringData().containsKey(path.substring(certs.length() + 1)),
                    "the Secret template has " + path + " for " + firstPod);
        }

        String outbox = mountOf(container, "outbox").getMountPath();
        assertTrue(env.get("UPLINK_DATA_DIR").startsWith(outbox + "/"), "the outbox is on the persistent volume");
        assertTrue(env.get("UPLINK_INBOX").startsWith(outbox + "/"), "so is the inbox");
        assertEquals("outbox", statefulSet.getSpec().getVolumeClaimTemplates().get(0).getMetadata().getName());
        assertEquals(List.of("ReadWriteOnce"),
                statefulSet.getSpec().getVolumeClaimTemplates().get(0).getSpec().getAccessModes());
    }

    @Test
    void everySettingIsOneTheBundleDocuments() throws Exception {
        Set<String> documented = Manifests.documentedSettings();
        Set<String> variables = new TreeSet<>(env(container()).keySet());
        variables.remove("POD_NAME");
        variables.removeAll(documented);
        assertEquals(Set.of(), variables, "environment variables docs/configuration.md does not document");

        ConfigMap config = bind(PLAIN.resolve("configmap.yaml"),
                Manifests.document(PLAIN.resolve("configmap.yaml"), "ConfigMap"));
        Properties properties = new Properties();
        properties.load(new StringReader(config.getData().get("application.properties")));
        Set<String> keys = new TreeSet<>(properties.stringPropertyNames());
        assertFalse(keys.isEmpty());
        keys.removeAll(documented);
        assertEquals(Set.of(), keys, "property keys docs/configuration.md does not document");

        assertEquals(mountOf(container(), "config").getMountPath(),
                env(container()).get("CAMEL_MAIN_CLOUD_PROPERTIES_LOCATION"), "camel-main reads the mounted ConfigMap");
    }

    @Test
    void theApiTokenComesFromAMountedSecretNeverFromTheManifest() {
        Container container = container();
        Map<String, String> env = env(container);
        assertFalse(ApiAuthentication.isLoopback(env.get("CAMEL_SERVER_HOST")), "bound beyond loopback: a token is due");
        assertTrue(container.getEnv().stream().filter(e -> e.getName().startsWith("UPLINK_API_TOKEN"))
                .noneMatch(e -> e.getName().equals("UPLINK_API_TOKEN") && e.getValue() != null),
                "no token written in the manifest");

        String file = env.get("UPLINK_API_TOKEN_FILE");
        assertNotNull(file, "UPLINK_API_TOKEN_FILE");
        VolumeMount mount = container.getVolumeMounts().stream()
                .filter(m -> file.startsWith(m.getMountPath() + "/")).findFirst()
                .orElseThrow(() -> new AssertionError(file + " is in no mounted volume"));
        assertTrue(mount.getReadOnly(), "mounted read-only");
        Volume volume = volume(statefulSet().getSpec().getTemplate().getSpec(), mount.getName());
        assertNotNull(volume.getSecret(), "the token's volume is a Secret");
        Secret template = secretTemplate(volume.getSecret().getSecretName());
        assertTrue(template.getStringData().containsKey(file.substring(mount.getMountPath().length() + 1)),
                "the Secret template holds " + file);
        assertFalse(Set.of("certs", "config", "routes").contains(mount.getName()), "a Secret of its own");
    }

    @Test
    void networkPolicyLetsOutOnlyDnsAndMqttOverTls() {
        NetworkPolicy policy = bind(PLAIN.resolve("networkpolicy.yaml"),
                Manifests.document(PLAIN.resolve("networkpolicy.yaml"), "NetworkPolicy"));
        assertEquals(statefulSet().getSpec().getTemplate().getMetadata().getLabels().get("app.kubernetes.io/name"),
                policy.getSpec().getPodSelector().getMatchLabels().get("app.kubernetes.io/name"));
        assertTrue(policy.getSpec().getPolicyTypes().contains("Egress"));
        Set<String> egress = policy.getSpec().getEgress().stream().flatMap(rule -> rule.getPorts().stream())
                .map(PlainManifestsTest::describe).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(Set.of("53/TCP", "53/UDP", "8883/TCP"), egress);
    }

    private static String describe(NetworkPolicyPort port) {
        return port.getPort().getIntVal() + "/" + port.getProtocol();
    }

    /** The Secret named {@code name} in secret-template.yaml, which the kustomization never applies. */
    private static Secret secretTemplate(String name) {
        Path file = PLAIN.resolve("secret-template.yaml");
        return bind(file, Manifests.document(file, "Secret", name));
    }

    private static StatefulSet statefulSet() {
        return bind(PLAIN.resolve("statefulset.yaml"), Manifests.document(PLAIN.resolve("statefulset.yaml"),
                "StatefulSet"));
    }

    private static Container container() {
        List<Container> containers = statefulSet().getSpec().getTemplate().getSpec().getContainers();
        assertEquals(1, containers.size());
        return containers.get(0);
    }

    private static Map<String, String> env(Container container) {
        return container.getEnv().stream().collect(Collectors.toMap(EnvVar::getName,
                e -> e.getValue() == null ? "" : e.getValue()));
    }

    private static VolumeMount mountOf(Container container, String volume) {
        return container.getVolumeMounts().stream().filter(m -> m.getName().equals(volume)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume mount " + volume));
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    /** Binds a document to the model of its kind, failing on an unknown kind, api version or field. */
    @SuppressWarnings("unchecked")
    private static <T extends HasMetadata> T bind(Path file, JsonNode document) {
        String kind = document.path("kind").asText();
        Class<? extends HasMetadata> model = MODELS.get(kind);
        if (model == null) {
            throw new AssertionError(file + ": no model for kind '" + kind + "'");
        }
        assertEquals(HasMetadata.getApiVersion(model), document.path("apiVersion").asText(), file + ": apiVersion");
        HasMetadata resource;
        try {
            resource = Manifests.YAML.treeToValue(document, model);
        } catch (Exception e) {
            throw new AssertionError(file + ": " + e.getMessage(), e);
        }
        List<String> unknown = Manifests.unknownFields(resource);
        if (!unknown.isEmpty()) {
            throw new AssertionError(file + ": fields " + kind + " does not have: " + unknown);
        }
        assertNotNull(resource.getMetadata().getName(), file + ": metadata.name");
        return (T) resource;
    }
}
