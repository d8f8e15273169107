package org.chestlens.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestSecurity;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * A hospital's own front end on another origin can do what the console does: for every operation of the contract
 * the browser's pre-flight (OPTIONS with Origin, Access-Control-Request-Method and -Headers: the operation's header
 * parameters and the credential) is allowed, and every response header the contract documents is exposed to the
 * page's script.
 */
@ChestlensIntegrationTest
class CorsContractTest {

    static final String ORIGIN = "https://frontend.hospital.test";

    @LocalServerPort
    int port;

    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void everyOperationsPreflightIsAllowedAndEveryDocumentedHeaderExposed() throws Exception {
        JsonNode contract = new ObjectMapper(new YAMLFactory()).readTree(Path.of("openapi/openapi.yaml").toFile());
        TreeSet<String> documented = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        int preflights = 0;
        List<String> refused = new ArrayList<>();
        for (Map.Entry<String, JsonNode> path : contract.path("paths").properties()) {
            for (Map.Entry<String, JsonNode> entry : path.getValue().properties()) {
                String method = entry.getKey().toUpperCase(Locale.ROOT);
                JsonNode operation = entry.getValue();
                TreeSet<String> requestHeaders = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
                requestHeaders.add("X-API-Key");
                requestHeaders.add("Authorization");
                for (JsonNode parameter : operation.path("parameters")) {
                    if (parameter.path("in").asText().equals("header")) {
                        requestHeaders.add(parameter.path("name").asText());
                    }
                }
                if (operation.has("requestBody")) {
                    requestHeaders.add("Content-Type");
                }
                for (JsonNode response : operation.path("responses")) {
                    response.path("headers").fieldNames().forEachRemaining(documented::add);
                }
                String concrete = path.getKey().replaceAll("\\{[^}]+}", "00000000-0000-0000-0000-000000000000");
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + concrete))
                        .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                        .header("Origin", ORIGIN)
                        .header("Access-Control-Request-Method", method)
                        .header("Access-Control-Request-Headers", String.join(",", requestHeaders).toLowerCase(Locale.ROOT))
                        .build(), HttpResponse.BodyHandlers.ofString());
                preflights++;
                String allowedMethods = answer.headers().firstValue("Access-Control-Allow-Methods").orElse("");
                List<String> allowedHeaders = Arrays.stream(answer.headers().firstValue("Access-Control-Allow-Headers")
                        .orElse("").split(",")).map(String::trim).map(h -> h.toLowerCase(Locale.ROOT)).toList();
                boolean ok = answer.statusCode() == 200
                        && answer.headers().firstValue("Access-Control-Allow-Origin").orElse("").equals(ORIGIN)
                        && Arrays.stream(allowedMethods.split(",")).map(String::trim).anyMatch(method::equals)
                        && requestHeaders.stream().allMatch(h -> allowedHeaders.contains(h.toLowerCase(Locale.ROOT)));
                if (!ok) {
                    refused.add(method + " " + path.getKey() + " -> " + answer.statusCode() + " " + allowedMethods
                            + " / " + allowedHeaders);
                }
            }
        }
        assertThat(preflights).isGreaterThan(40);
        assertThat(refused).as("pre-flights refused").isEmpty();
        // The headers named in the issue are documented, so the derived list is not vacuous.
        assertThat(documented).contains("Preference-Applied", "ETag", "Location", "Retry-After", "RateLimit-Limit",
                "RateLimit-Remaining");

        // A real cross-origin call: the answer exposes every documented header, and PATCH is allowed.
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                        + "/api/v1/predictions?limit=1"))
                .header("Origin", ORIGIN).header("Authorization", "Bearer " + TestSecurity.token("cors-test",
                        org.chestlens.platform.security.Role.READER)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).isEqualTo(200);
        TreeSet<String> exposed = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        Arrays.stream(answer.headers().firstValue("Access-Control-Expose-Headers").orElse("").split(","))
                .map(String::trim).forEach(exposed::add);
        assertThat(exposed).containsAll(documented);

        // Another origin is not allowed.
        HttpResponse<String> stranger = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                        + "/api/v1/webhooks/00000000-0000-0000-0000-000000000000"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "https://evil.test")
                .header("Access-Control-Request-Method", "PATCH").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(stranger.statusCode()).isEqualTo(403);
        assertThat(stranger.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }
}
