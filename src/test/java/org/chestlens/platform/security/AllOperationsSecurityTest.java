package org.chestlens.platform.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestSecurity;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.yaml.snakeyaml.Yaml;

/**
 * Walks every operation of the published contract (openapi/openapi.yaml, itself checked against the
 * running service by OpenApiContractTest): without credentials it must answer 401, with a credential
 * holding every role but the required ones 403, and with each required role something else. So no
 * operation is public by accident and each declared role really is what the service enforces.
 */
@ChestlensIntegrationTest
class AllOperationsSecurityTest {

    @LocalServerPort
    int port;

    record Operation(HttpMethod method, String path, String contentType, List<Role> roles) {
        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    @Test
    void everyOperationAnswers401WithoutCredentialsAnd403WithoutItsRole() throws IOException {
        List<Operation> operations = operations();
        assertThat(operations).hasSizeGreaterThanOrEqualTo(20);
        ApiClient anonymous = new ApiClient(port, new HttpHeaders());
        List<String> checked = new ArrayList<>();
        for (Operation operation : operations) {
            assertThat(operation.roles()).as(operation + " declares x-required-roles").isNotEmpty();
            String path = operation.path().replaceAll("\\{[^}]+}", UUID.randomUUID().toString());

            Answer none = send(anonymous, operation, path, new HttpHeaders());
            assertThat(none.status()).as(operation + " without credentials").isEqualTo(401);
            assertThat(none.contentType()).as(operation + " 401 body").startsWith("application/problem+json");
            assertThat(none.headers().get("WWW-Authenticate")).as(operation + " WWW-Authenticate").isNotEmpty();

            EnumSet<Role> others = EnumSet.complementOf(EnumSet.copyOf(operation.roles()));
            if (!others.isEmpty()) {
                Answer lacking = send(anonymous, operation, path, TestSecurity.roles(others.toArray(Role[]::new)));
                assertThat(lacking.status()).as(operation + " with roles " + others).isEqualTo(403);
                assertThat(lacking.contentType()).as(operation + " 403 body").startsWith("application/problem+json");
            }
            for (Role role : operation.roles()) {
                Answer allowed = send(anonymous, operation, path, TestSecurity.roles(role));
                assertThat(allowed.status()).as(operation + " with role " + role).isNotIn(401, 403);
            }
            if (operation.method() == HttpMethod.GET) {
                // HEAD runs the GET handler: it must demand the same roles.
                assertThat(send(anonymous, new Operation(HttpMethod.HEAD, operation.path(), null, operation.roles()),
                        path, new HttpHeaders()).status()).as("HEAD " + path).isEqualTo(401);
                if (!others.isEmpty()) {
                    assertThat(send(anonymous, new Operation(HttpMethod.HEAD, operation.path(), null, operation.roles()),
                            path, TestSecurity.roles(others.toArray(Role[]::new))).status()).as("HEAD " + path)
                            .isEqualTo(403);
                }
            }
            checked.add(operation.toString());
        }
        System.out.println("Checked " + checked.size() + " operations: " + checked);
    }

    /**
     * The body is deliberately unusable ({@code []} for JSON, no parts for multipart): a caller with the
     * role gets a 4xx from the endpoint's own validation, and nothing is created by the walk.
     */
    private static Answer send(ApiClient client, Operation operation, String path, HttpHeaders credentials) {
        boolean hasBody = operation.method() == HttpMethod.POST || operation.method() == HttpMethod.PUT;
        MediaType type = operation.contentType() == null ? null : MediaType.parseMediaType(operation.contentType());
        Object body = !hasBody ? null : MediaType.APPLICATION_JSON.includes(type) ? "[]" : "";
        if (type != null && type.isCompatibleWith(MediaType.MULTIPART_FORM_DATA)) {
            type = MediaType.parseMediaType("multipart/form-data; boundary=empty");
            body = "--empty--\r\n";
        }
        return client.send(operation.method(), path, credentials, hasBody ? type : null, body);
    }

    @SuppressWarnings("unchecked")
    static List<Operation> operations() throws IOException {
        Map<String, Object> document;
        try (InputStream in = Files.newInputStream(Path.of("openapi/openapi.yaml"))) {
            document = new Yaml().load(in);
        }
        List<Operation> operations = new ArrayList<>();
        Map<String, Map<String, Object>> paths = (Map<String, Map<String, Object>>) document.get("paths");
        paths.forEach((path, methods) -> methods.forEach((method, value) -> {
            if (!(value instanceof Map<?, ?> operation) || method.equals("parameters")) {
                return;
            }
            List<Role> roles = ((List<String>) ((Map<String, Object>) operation)
                    .getOrDefault("x-required-roles", List.of())).stream()
                    .map(name -> Role.valueOf(name.toUpperCase())).toList();
            String contentType = null;
            if (operation.get("requestBody") instanceof Map<?, ?> requestBody
                    && requestBody.get("content") instanceof Map<?, ?> content && !content.isEmpty()) {
                contentType = (String) content.keySet().iterator().next();
            }
            operations.add(new Operation(HttpMethod.valueOf(method.toUpperCase()), path, contentType, roles));
        }));
        return operations;
    }
}
