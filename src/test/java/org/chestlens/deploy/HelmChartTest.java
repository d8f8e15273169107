package org.chestlens.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The Helm chart, linted and rendered by the Helm library itself (helm-java), no cluster needed.
 */
class HelmChartTest {

    private static final Path CHART = Path.of("helm", "chestlens");

    @Test
    void lintIsCleanEvenInStrictMode() {
        LintResult result = new Helm(CHART).lint().strict().call();
        assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
        assertThat(result.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @Test
    void defaultsRenderASafeCpuDeployment() {
        Rendered chart = render(Map.of());

        Map<String, Object> pod = chart.one("Deployment").map("spec").map("template").map("spec").raw();
        assertThat(at(pod, "securityContext", "runAsNonRoot")).isEqualTo(true);
        assertThat(at(pod, "securityContext", "runAsUser")).isEqualTo(10001);
        assertThat(pod.get("automountServiceAccountToken")).isEqualTo(false);
        Map<String, Object> container = container(pod);
        assertThat(at(container, "securityContext", "readOnlyRootFilesystem")).isEqualTo(true);
        assertThat(at(container, "securityContext", "allowPrivilegeEscalation")).isEqualTo(false);
        assertThat(at(container, "securityContext", "capabilities", "drop")).isEqualTo(List.of("ALL"));
        assertThat((String) container.get("image")).isEqualTo("chestlens:0.1.0");

        // A warming replica gets no traffic; a slow model load is not killed before it is ready.
        assertThat(at(container, "readinessProbe", "httpGet", "path")).isEqualTo("/actuator/health/readiness");
        assertThat(at(container, "livenessProbe", "httpGet", "path")).isEqualTo("/actuator/health/liveness");
        assertThat(at(container, "startupProbe", "httpGet", "path")).isEqualTo("/actuator/health/liveness");
        int startupSeconds = (Integer) at(container, "startupProbe", "periodSeconds")
                * (Integer) at(container, "startupProbe", "failureThreshold");
        assertThat(startupSeconds).isGreaterThanOrEqualTo(300);
        // Readiness follows the database within seconds (it answers from the service's own background check);
        // the probes' timeouts exceed what the service itself waits for the database.
        int readinessSeconds = (Integer) at(container, "readinessProbe", "periodSeconds")
                * (Integer) at(container, "readinessProbe", "failureThreshold");
        assertThat(readinessSeconds).isLessThanOrEqualTo(10);
        assertThat((Integer) at(container, "readinessProbe", "timeoutSeconds")).isGreaterThanOrEqualTo(2);
        assertThat((Integer) at(container, "livenessProbe", "timeoutSeconds")).isGreaterThanOrEqualTo(2);
        assertThat(at(container, "ports")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
                .singleElement().extracting(p -> ((Map<?, ?>) p).get("containerPort")).isEqualTo(8080);

        // Secrets are referenced, never rendered.
        assertThat(chart.kinds()).doesNotContain("Secret");
        assertThat(secretRef(container, "SPRING_DATASOURCE_USERNAME")).isEqualTo(List.of("chestlens-database", "username"));
        assertThat(secretRef(container, "SPRING_DATASOURCE_PASSWORD")).isEqualTo(List.of("chestlens-database", "password"));
        assertThat(secretRef(container, "CHESTLENS_INGEST_PATIENT_ID_KEY")).isEqualTo(List.of("chestlens-patient-id-key", "key"));
        assertThat(envNames(container)).doesNotContain("CHESTLENS_SECURITY_BOOTSTRAP_ADMIN_KEY");
        assertThat(env(container, "CHESTLENS_INFERENCE_INSTANCE_ID")).extracting(e -> at(e, "valueFrom", "fieldRef", "fieldPath"))
                .isEqualTo("metadata.name");

        // Writable volumes only where the service writes; no GPU asked for.
        List<String> mountPaths = ((List<?>) container.get("volumeMounts")).stream()
                .map(m -> String.valueOf(((Map<?, ?>) m).get("mountPath"))).toList();
        assertThat(mountPaths).containsExactlyInAnyOrder("/tmp", "/var/cache/chestlens/djl");
        assertThat(String.valueOf(container.get("resources"))).doesNotContain("nvidia.com/gpu");

        Map<String, Object> config = chart.one("ConfigMap").map("data").raw();
        assertThat(config).containsEntry("CHESTLENS_DATABASE_CONNECTION_TIMEOUT", "2s")
                .containsEntry("CHESTLENS_DATABASE_STATEMENT_TIMEOUT", "5s");
        assertThat(config).containsEntry("CHESTLENS_INFERENCE_DEVICE", "cpu")
                .containsEntry("CHESTLENS_INFERENCE_MODEL_PATHS", "/opt/chestlens/models/chestlens-demo-densenet121");
        // Metrics need credentials unless a ServiceMonitor scrapes them.
        assertThat(config).containsEntry("CHESTLENS_SECURITY_METRICS_PUBLIC", "false")
                .containsEntry("CHESTLENS_SECURITY_RATE_LIMIT_REQUESTS_PER_MINUTE", "600");
        assertThat(config.keySet()).allMatch(ConfigurationNames::isKnown, "an application setting");
        assertThat(envNames(container)).allMatch(ConfigurationNames::isKnown, "an application setting");

        Map<String, Object> hpa = chart.one("HorizontalPodAutoscaler").raw();
        assertThat(at(hpa, "spec", "minReplicas")).isEqualTo(2);
        assertThat(at(hpa, "spec", "scaleTargetRef", "name")).isEqualTo(chart.one("Deployment").map("metadata").raw().get("name"));
        assertThat(at(chart.one("PodDisruptionBudget").raw(), "spec", "minAvailable")).isEqualTo(1);
        assertThat(chart.one("NetworkPolicy").raw().toString()).contains("5432").doesNotContain("443");
        assertThat(chart.kinds()).doesNotContain("ServiceMonitor");
        // With the HPA on, the Deployment leaves replicas to it.
        assertThat(chart.one("Deployment").map("spec").raw()).doesNotContainKey("replicas");
    }

    @Test
    void gpuValuesAskForAGpuAndLandOnGpuNodes() {
        Rendered chart = render(Map.of("gpu.enabled", true, "gpu.nodeSelector.nvidia\\.com/gpu\\.present", "true"));
        Map<String, Object> pod = chart.one("Deployment").map("spec").map("template").map("spec").raw();
        Map<String, Object> container = container(pod);
        assertThat(at(container, "resources", "limits")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsEntry("nvidia.com/gpu", 1).containsEntry("memory", "6Gi");
        assertThat((String) container.get("image")).isEqualTo("chestlens:0.1.0-gpu");
        assertThat(pod.get("nodeSelector")).isEqualTo(Map.of("nvidia.com/gpu.present", "true"));
        assertThat(pod.get("tolerations").toString()).contains("nvidia.com/gpu");
        assertThat(chart.one("ConfigMap").map("data").raw()).containsEntry("CHESTLENS_INFERENCE_DEVICE", "gpu");
    }

    @Test
    void optionalPartsFollowTheirValues() {
        Rendered chart = render(Map.of("metrics.serviceMonitor.enabled", true, "autoscaling.enabled", false,
                "replicaCount", 3, "networkPolicy.enabled", false, "podDisruptionBudget.enabled", false,
                "models.volume.persistentVolumeClaim.claimName", "hospital-models",
                "inference.modelPaths[0]", "/models/hospital-model",
                "security.bootstrapAdminKey.existingSecret", "chestlens-admin-key",
                "security.jwt.issuerUri", "https://keycloak.example/realms/hospital"));
        assertThat(at(chart.one("ServiceMonitor").raw(), "spec", "endpoints")).asString().contains("/actuator/prometheus");
        assertThat(chart.kinds()).doesNotContain("HorizontalPodAutoscaler", "NetworkPolicy", "PodDisruptionBudget");
        assertThat(chart.one("Deployment").map("spec").raw().get("replicas")).isEqualTo(3);
        Map<String, Object> pod = chart.one("Deployment").map("spec").map("template").map("spec").raw();
        assertThat(pod.get("volumes").toString()).contains("hospital-models");
        assertThat(container(pod).get("volumeMounts").toString()).contains("/models");
        assertThat(chart.one("ConfigMap").map("data").raw())
                .containsEntry("CHESTLENS_INFERENCE_MODEL_PATHS", "/models/hospital-model")
                .containsEntry("CHESTLENS_SECURITY_METRICS_PUBLIC", "true")
                .containsEntry("CHESTLENS_SECURITY_JWT_ISSUER_URI", "https://keycloak.example/realms/hospital");
        assertThat(secretRef(container(pod), "CHESTLENS_SECURITY_BOOTSTRAP_ADMIN_KEY"))
                .isEqualTo(List.of("chestlens-admin-key", "key"));
    }

    @Test
    void secretSettingsComeFromSecretsNotTheConfigMap() {
        Rendered chart = render(Map.of("extraSecretEnv.CHESTLENS_PACS_PATIENT_MODULE_KEY.secret", "chestlens-pacs",
                "extraSecretEnv.CHESTLENS_PACS_PATIENT_MODULE_KEY.key", "patient-module-key",
                "extraEnv.CHESTLENS_PACS_DESTINATIONS_0_NAME", "main-pacs"));
        Map<String, Object> pod = chart.one("Deployment").map("spec").map("template").map("spec").raw();
        assertThat(secretRef(container(pod), "CHESTLENS_PACS_PATIENT_MODULE_KEY"))
                .isEqualTo(List.of("chestlens-pacs", "patient-module-key"));
        assertThat(envNames(container(pod))).allMatch(ConfigurationNames::isKnown, "an application setting");
        assertThat(chart.one("ConfigMap").map("data").raw()).doesNotContainKey("CHESTLENS_PACS_PATIENT_MODULE_KEY")
                .containsEntry("CHESTLENS_PACS_DESTINATIONS_0_NAME", "main-pacs");
    }

    @Test
    void anIdentityProviderIsReachableThroughTheNetworkPolicy() {
        Rendered chart = render(Map.of("security.jwt.issuerUri", "https://login.example/tenant/v2.0"));
        assertThat(at(chart.one("NetworkPolicy").raw(), "spec", "egress")).asString().contains("port=443");
    }

    @Test
    void theDicomReceiverIsOffByDefaultAndOnItsOwnPortWhenEnabled() {
        Rendered off = render(Map.of());
        assertThat(at(off.one("Service").raw(), "spec", "ports")).asString().doesNotContain("dicom");
        assertThat(off.one("ConfigMap").map("data").raw()).containsEntry("CHESTLENS_DICOM_SCP_ENABLED", "false");

        Rendered on = render(Map.of("dicom.enabled", true, "dicom.port", 104, "dicom.aeTitle", "CHESTLENS_AI",
                "dicom.allowedCallingAeTitles[0]", "ORTHANC", "dicom.allowedCallingAeTitles[1]", "CR_ROOM_2"));
        Map<String, Object> pod = on.one("Deployment").map("spec").map("template").map("spec").raw();
        assertThat(container(pod).get("ports")).asString().contains("name=dicom", "containerPort=104");
        assertThat(at(on.one("Service").raw(), "spec", "ports")).asString()
                .contains("name=dicom", "port=104", "targetPort=dicom");
        assertThat(at(on.one("NetworkPolicy").raw(), "spec", "ingress")).asString().contains("port=dicom");
        assertThat(on.one("ConfigMap").map("data").raw())
                .containsEntry("CHESTLENS_DICOM_SCP_ENABLED", "true")
                .containsEntry("CHESTLENS_DICOM_SCP_PORT", "104")
                .containsEntry("CHESTLENS_DICOM_SCP_AE_TITLE", "CHESTLENS_AI")
                .containsEntry("CHESTLENS_DICOM_SCP_ALLOWED_CALLING_AE_TITLES", "ORTHANC,CR_ROOM_2");
        assertThat(on.one("ConfigMap").map("data").raw().keySet()).allMatch(ConfigurationNames::isKnown);
    }

    @Test
    void aMissingDatabaseIsAnErrorNotABrokenPod() {
        assertThatThrownBy(() -> render(Map.of("database.url", "")))
                .hasMessageContaining("database.url is required");
        assertThatThrownBy(() -> render(Map.of("database.existingSecret", "")))
                .hasMessageContaining("database.existingSecret is required");
    }

    private static Rendered render(Map<String, Object> values) {
        TemplateCommand command = new Helm(CHART).template().withName("chestlens").withNamespace("radiology")
                .withKubeVersion("1.30.0");
        values.forEach(command::set);
        List<Map<String, Object>> documents = new ArrayList<>();
        for (Object document : new Yaml().loadAll(command.call())) {
            if (document != null) {
                @SuppressWarnings("unchecked")
                Map<String, Object> map = (Map<String, Object>) document;
                documents.add(map);
            }
        }
        return new Rendered(documents);
    }

    private static Map<String, Object> container(Map<String, Object> pod) {
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> containers = (List<Map<String, Object>>) pod.get("containers");
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> env(Map<String, Object> container, String name) {
        return ((List<Map<String, Object>>) container.get("env")).stream()
                .filter(e -> name.equals(e.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name));
    }

    @SuppressWarnings("unchecked")
    private static List<String> envNames(Map<String, Object> container) {
        return ((List<Map<String, Object>>) container.get("env")).stream().map(e -> (String) e.get("name")).toList();
    }

    private static List<Object> secretRef(Map<String, Object> container, String name) {
        Map<String, Object> e = env(container, name);
        return List.of(at(e, "valueFrom", "secretKeyRef", "name"), at(e, "valueFrom", "secretKeyRef", "key"));
    }

    static Object at(Object node, String... path) {
        Object current = node;
        for (String key : path) {
            assertThat(current).as("parent of " + key).isInstanceOf(Map.class);
            current = ((Map<?, ?>) current).get(key);
        }
        return current;
    }

    record Rendered(List<Map<String, Object>> documents) {
        List<String> kinds() {
            return documents.stream().map(d -> (String) d.get("kind")).filter(Objects::nonNull).toList();
        }

        Node one(String kind) {
            List<Map<String, Object>> found = documents.stream().filter(d -> kind.equals(d.get("kind"))).toList();
            assertThat(found).as(kind).hasSize(1);
            return new Node(found.get(0));
        }
    }

    record Node(Map<String, Object> raw) {
        @SuppressWarnings("unchecked")
        Node map(String key) {
            Object child = raw.get(key);
            assertThat(child).as(key).isInstanceOf(Map.class);
            return new Node((Map<String, Object>) child);
        }
    }
}
