package org.chestlens.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.chestlens.ChestlensIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.web.client.RestClient;

/**
 * The committed {@code openapi/openapi.yaml} is the contract clients code against; it must be what
 * the running service publishes. After an intended API change, regenerate it with
 * {@code ./mvnw test -Dtest=OpenApiContractTest -Dchestlens.openapi.write=true}.
 */
@ChestlensIntegrationTest
class OpenApiContractTest {

    private static final Path CONTRACT = Path.of("openapi/openapi.yaml");

    @LocalServerPort
    int port;

    @Test
    void committedContractMatchesTheRunningService() throws IOException {
        String published = RestClient.create("http://localhost:" + port).get().uri("/v3/api-docs.yaml")
                .retrieve().body(String.class);
        assertThat(published).contains("/api/v1/images");
        if (Boolean.getBoolean("chestlens.openapi.write")) {
            Files.writeString(CONTRACT, published, StandardCharsets.UTF_8);
        }
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        JsonNode expected = yaml.readTree(CONTRACT.toFile());
        JsonNode actual = yaml.readTree(published);
        if (!expected.equals(actual)) {
            Path actualFile = Path.of("target/openapi-published.yaml");
            Files.createDirectories(actualFile.getParent());
            Files.writeString(actualFile, published, StandardCharsets.UTF_8);
            throw new AssertionError("openapi/openapi.yaml differs from what the service publishes (written to "
                    + actualFile + "). If the change is intended, regenerate the contract with "
                    + "./mvnw test -Dtest=OpenApiContractTest -Dchestlens.openapi.write=true");
        }
    }

    /** Every answer with a body, and every JSON request body, shows a real example (see ContractExamples). */
    @Test
    void everyOperationHasExamples() throws IOException {
        JsonNode contract = new ObjectMapper(new YAMLFactory()).readTree(CONTRACT.toFile());
        List<String> missing = new ArrayList<>();
        contract.path("paths").properties().forEach(path -> path.getValue().properties().forEach(op -> {
            String name = op.getKey().toUpperCase() + " " + path.getKey();
            op.getValue().path("requestBody").path("content").properties().forEach(type -> {
                if (type.getKey().contains("json") && !type.getValue().has("example")) {
                    missing.add(name + " request " + type.getKey());
                }
            });
            op.getValue().path("responses").properties().forEach(response -> {
                if (response.getKey().startsWith("2")) {
                    response.getValue().path("content").properties().forEach(type -> {
                        if (!type.getValue().has("example") && !hasExampleFile(type.getValue())) {
                            missing.add(name + " " + response.getKey() + " " + type.getKey());
                        }
                    });
                }
            });
        }));
        assertThat(missing).as("operations without examples (run openapi/capture_examples.py)").isEmpty();
    }

    /** A binary answer's example: a file beside the contract, referenced by externalValue, that exists. */
    private static boolean hasExampleFile(JsonNode media) {
        for (JsonNode example : media.path("examples")) {
            String file = example.path("externalValue").asText("");
            if (!file.isEmpty() && Files.isRegularFile(CONTRACT.resolveSibling(file))) {
                return true;
            }
        }
        return false;
    }
}
