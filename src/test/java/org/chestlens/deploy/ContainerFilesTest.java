package org.chestlens.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * What can be checked of the Dockerfile and docker-compose.yml without a container engine: the
 * files they copy exist and reach the build context, ports, paths and variables agree with the
 * application's configuration, and the runtime is non-root with a readiness health check.
 */
class ContainerFilesTest {

    private static final Pattern COPY = Pattern.compile("(?m)^COPY (?!--from)(.+) (\\S+)$");
    private static final Pattern ENV_NAME = Pattern.compile("\\b(CHESTLENS_[A-Z_]+|SPRING_[A-Z_]+|SERVER_PORT)=");

    @Test
    void dockerfileCopiesOnlyWhatExistsAndTheBuildContextKeeps() throws IOException {
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        List<String> ignore = Files.readAllLines(Path.of(".dockerignore"));
        Matcher copy = COPY.matcher(dockerfile);
        List<String> sources = new ArrayList<>();
        while (copy.find()) {
            for (String source : copy.group(1).trim().split("\\s+")) {
                sources.add(source);
            }
        }
        assertThat(sources).contains("pom.xml", "mvnw", ".mvn", "lib/maven", "src/main",
                "models/chestlens-demo-densenet121");
        for (String source : sources) {
            assertThat(Path.of(source)).as("COPY source").exists();
            // .dockerignore excludes everything and re-includes the build inputs.
            assertThat(ignore).as(".dockerignore keeps " + source)
                    .anyMatch(line -> line.startsWith("!") && (source + "/").startsWith(
                            line.endsWith("/") ? line.substring(1) : line.substring(1) + "/"));
        }
        assertThat(Path.of("models/chestlens-demo-densenet121/model.json")).exists();
    }

    @Test
    void dockerfileRunsAsNonRootWithReadinessHealthCheckAndKnownSettings() throws IOException {
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        Properties application = applicationProperties();
        assertThat(application.getProperty("management.endpoint.health.probes.enabled")).isEqualTo("true");
        assertThat(application.getProperty("management.endpoint.health.group.readiness.include")).contains("model");

        String runtime = stage(dockerfile, "runtime");
        assertThat(runtime).contains("FROM ${RUNTIME_BASE} AS runtime", "USER 10001:10001", "EXPOSE 8080 11112",
                "curl -fsS http://127.0.0.1:8080/actuator/health/readiness",
                "ENTRYPOINT [\"java\", \"-jar\", \"/opt/chestlens/chestlens.jar\"]",
                "COPY --from=build /chestlens.jar /opt/chestlens/chestlens.jar",
                "CHESTLENS_INFERENCE_MODEL_PATHS=/opt/chestlens/models/chestlens-demo-densenet121",
                "-XX:MaxRAMPercentage=", "-XX:G1HeapRegionSize=4m", "CHESTLENS_INFERENCE_DJL_CACHE_DIR=/var/cache/chestlens/djl",
                "openjdk-17-jre-headless", "libcharls2 libopenjp2-7 libgdcm3.0 libdeflate0",
                // the 12-bit JPEG shim, where chestlens.ingest.native-dir says
                "COPY --from=build /native/libchestlens-jpeg12.so /opt/chestlens/native/libchestlens-jpeg12.so",
                "CHESTLENS_INGEST_NATIVE_DIR=/opt/chestlens/native");
        Matcher env = ENV_NAME.matcher(runtime);
        while (env.find()) {
            assertThat(ConfigurationNames.isKnown(env.group(1))).as(env.group(1)).isTrue();
        }
        assertThat(dockerfile).contains("ARG RUNTIME_BASE=eclipse-temurin:17-jre",
                "--build-arg RUNTIME_BASE=nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04");
        // PixelMed comes from the in-project repository (lib/maven), not from an operating system package.
        // The shim must be built there (not skipped for a missing gcc or gdcm header), from src/main/c.
        assertThat(stage(dockerfile, "build")).contains("gcc libc6-dev libgdcm-dev", "-Djpeg12.build=required",
                "COPY src/main src/main", "cp target/native/libchestlens-jpeg12.so /native/");
        assertThat(Path.of("src/main/c/build.sh")).exists();
        assertThat(stage(dockerfile, "build")).contains("openjdk-17-jdk-headless", "COPY lib/maven lib/maven")
                .doesNotContain("libpixelmed-java", "/usr/share/java");
        // The GPU natives the build selects with -Pcuda are the ones the CUDA base image carries.
        String pom = Files.readString(Path.of("pom.xml"));
        assertThat(pom).contains("<id>cuda</id>", "pytorch-native-cu124");
    }

    @Test
    void composeWiresTheServiceToPostgresWithHealthGatesAndKnownSettings() throws IOException {
        Map<String, Object> compose = new Yaml().load(Files.readString(Path.of("docker-compose.yml")));
        Map<String, Object> services = map(compose.get("services"));
        Map<String, Object> postgres = map(services.get("postgres"));
        assertThat((String) postgres.get("image")).startsWith("postgres:15");
        assertThat((List<?>) postgres.get("volumes")).anyMatch(v -> v.toString().startsWith("postgres-data:"));
        assertThat(map(compose.get("volumes"))).containsKeys("postgres-data", "djl-cache");
        assertThat(map(postgres.get("healthcheck")).toString()).contains("pg_isready");
        assertThat(map(postgres.get("environment")).get("POSTGRES_PASSWORD")).asString().startsWith("${POSTGRES_PASSWORD:?");

        for (String name : List.of("chestlens", "chestlens-gpu")) {
            Map<String, Object> service = map(services.get(name));
            assertThat(HelmChartTest.at(service, "depends_on", "postgres", "condition")).isEqualTo("service_healthy");
            assertThat(HelmChartTest.at(service, "healthcheck", "test").toString()).contains("/actuator/health/readiness");
            // The API, and the DICOM C-STORE receiver on the port the service is told to listen on.
            assertThat((List<?>) service.get("ports")).hasSize(2);
            assertThat(((List<?>) service.get("ports")).get(0)).asString().endsWith(":8080");
            assertThat(((List<?>) service.get("ports")).get(1)).asString().endsWith(":11112");
            assertThat(service.get("read_only")).isEqualTo(true);
            Map<String, Object> environment = map(service.get("environment"));
            assertThat(environment.keySet()).allMatch(ConfigurationNames::isKnown, "an application setting");
            assertThat((String) environment.get("SPRING_DATASOURCE_URL")).startsWith("jdbc:postgresql://postgres:5432/");
            // Secrets have no default in the file: "${VAR:?message}" makes compose refuse to start without them.
            assertThat(environment.get("SPRING_DATASOURCE_PASSWORD")).asString().startsWith("${POSTGRES_PASSWORD:?");
            assertThat(environment.get("CHESTLENS_INGEST_PATIENT_ID_KEY")).asString()
                    .startsWith("${CHESTLENS_PATIENT_ID_KEY:?");
            assertThat(environment.get("CHESTLENS_DICOM_SCP_PORT")).isEqualTo("11112");
            assertThat(environment.get("CHESTLENS_DICOM_SCP_ENABLED").toString()).contains(":-false");
        }
        Map<String, Object> gpu = map(services.get("chestlens-gpu"));
        assertThat(gpu.get("profiles")).isEqualTo(List.of("gpu"));
        assertThat(HelmChartTest.at(gpu, "deploy", "resources", "reservations", "devices").toString())
                .contains("driver=nvidia", "gpu");
        assertThat(HelmChartTest.at(gpu, "build", "args", "MAVEN_PROFILES")).isEqualTo("cuda");
        assertThat((String) HelmChartTest.at(gpu, "build", "args", "RUNTIME_BASE")).startsWith("nvidia/cuda:12.4");
        assertThat(map(gpu.get("environment"))).containsEntry("CHESTLENS_INFERENCE_DEVICE", "gpu");
    }

    private static String stage(String dockerfile, String name) {
        int start = dockerfile.indexOf(" AS " + name + "\n");
        assertThat(start).as("stage " + name).isPositive();
        int end = dockerfile.indexOf("\nFROM ", start);
        return dockerfile.substring(dockerfile.lastIndexOf("FROM ", start), end < 0 ? dockerfile.length() : end);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object node) {
        assertThat(node).isInstanceOf(Map.class);
        return (Map<String, Object>) node;
    }

    private static Properties applicationProperties() throws IOException {
        Properties properties = new Properties();
        try (var in = Files.newInputStream(Path.of("src/main/resources/application.properties"))) {
            properties.load(in);
        }
        return properties;
    }
}
