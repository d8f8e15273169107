package org.chestlens.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestSecurity;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Bodies over chestlens.api.max-label-import-size (16 MB) on the label import and max-body-size (1 MB) elsewhere:
 * refused 413 by their declared length before anything reads them, or cut off while read when sent without one;
 * the uploads keep their own limits.
 */
@ChestlensIntegrationTest
class RequestBodyLimitTest {

    private static final String TOKEN = TestSecurity.allRoles().getFirst(HttpHeaders.AUTHORIZATION);
    private static final int OVER_LIMIT = 17 << 20;

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newHttpClient();

    /**
     * A label import as JSON: {"labels": [ ...entries... ]} of about {@code bytes}, in entries with long comments, so
     * that the byte limit comes before the import's limit of 100 000 labels.
     */
    private static InputStream labelImport(int bytes) {
        String entry = "{\"image\":\"" + UUID.randomUUID() + "\",\"label\":1,\"comment\":\"" + "x".repeat(1900) + "\"},";
        byte[] entries = entry.repeat(bytes / entry.length()).getBytes(StandardCharsets.US_ASCII);
        return new SequenceInputStream(new SequenceInputStream(
                new ByteArrayInputStream("{\"labels\":[".getBytes(StandardCharsets.US_ASCII)),
                new ByteArrayInputStream(entries)),
                new ByteArrayInputStream("{\"image\":\"x\",\"label\":1}]}".getBytes(StandardCharsets.US_ASCII)));
    }

    private HttpResponse<String> post(String path, String contentType, HttpRequest.BodyPublisher body)
            throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .header("Authorization", TOKEN).header("Content-Type", contentType).POST(body).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void assertTooLarge(HttpResponse<String> answer) {
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(413);
        assertThat(answer.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        JsonNode problem = JsonMapper.builder().build().readTree(answer.body());
        assertThat(problem.path("type").asString()).isEqualTo(ApiProblem.TYPE_PREFIX + "request-too-large");
        assertThat(problem.path("detail").asString()).contains("16 MB");
    }

    @Test
    void aDeclaredLengthOverTheLimitIsRefusedBeforeTheBodyIsRead() throws Exception {
        byte[] body = labelImport(OVER_LIMIT).readAllBytes();

        assertTooLarge(post("/api/v1/labels", "application/json", HttpRequest.BodyPublishers.ofByteArray(body)));
        assertTooLarge(post("/api/v1/labels", "text/csv", HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    @Test
    void aBodyWithoutALengthIsCutOffAtTheLimit() throws Exception {
        // ofInputStream sends it chunked: the service learns its size only by reading it.
        assertTooLarge(post("/api/v1/labels", "application/json",
                HttpRequest.BodyPublishers.ofInputStream(() -> labelImport(OVER_LIMIT))));
        assertTooLarge(post("/api/v1/labels", "text/csv",
                HttpRequest.BodyPublishers.ofInputStream(() -> labelImport(OVER_LIMIT))));
    }

    @Test
    void otherEndpointsTakeAMegabyte() throws Exception {
        // 2 MB of roles: the list would be read whole before validation could count it.
        String roles = "{\"name\": \"big\", \"roles\": [" + "\"reader\",".repeat(200_000) + "\"reader\"]}";
        HttpResponse<String> declared = post("/api/v1/api-keys", "application/json",
                HttpRequest.BodyPublishers.ofString(roles));
        HttpResponse<String> chunked = post("/api/v1/api-keys", "application/json",
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(
                        roles.getBytes(StandardCharsets.US_ASCII))));
        for (HttpResponse<String> answer : java.util.List.of(declared, chunked)) {
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(413);
            assertThat(answer.body()).contains("request-too-large").contains("1 MB");
        }
    }

    @Test
    void aBodyUnderTheLimitIsReadAsBefore() throws Exception {
        // 1 MB of labels for images that do not exist: read whole and answered for what it says, not its size.
        HttpResponse<String> answer = post("/api/v1/labels", "application/json",
                HttpRequest.BodyPublishers.ofInputStream(() -> labelImport(1 << 20)));
        assertThat(answer.statusCode()).as(answer.body()).isIn(400, 404, 422);
        assertThat(answer.body()).doesNotContain("request-too-large");
    }

    @Test
    void theImageUploadKeepsItsOwnLimits() throws Exception {
        // 17 MB that is no image: under the upload's own limits (64 MB a file), so it is read and refused as
        // what it is, not for its size.
        byte[] junk = new byte[OVER_LIMIT];
        HttpResponse<String> answer = post("/api/v1/images", "application/dicom",
                HttpRequest.BodyPublishers.ofByteArray(junk));
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(415);
    }
}
