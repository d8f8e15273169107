package org.chestlens.prediction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.Format1IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;

/**
 * A service that serves a format-1 package (logits only: fold 0 of demo 1.0.0, byte for byte) still
 * scores uploads as before, and answers a heat map request with 409 explanation-unavailable.
 */
@Format1IntegrationTest
class Format1PackageTest {

    static final Path FIXTURES = Path.of("models/training/fixtures");

    @LocalServerPort
    int port;

    @Test
    void format1PackageScoresAndHasNoMap() throws IOException {
        ApiClient api = new ApiClient(port);
        // F00001-1 (CVX1): fold 0 of the trained ensemble, as train.py --predict wrote it to expected.csv.
        List<String> lines = Files.readAllLines(FIXTURES.resolve("expected.csv"));
        List<String> header = List.of(lines.get(0).split(","));
        String[] row = lines.stream().filter(l -> l.startsWith("F00001-1,")).findFirst().orElseThrow().split(",");
        byte[] png = ExplanationApiTest.withNonce(Files.readAllBytes(FIXTURES.resolve("png16/F00001-1.png")));
        Answer upload = api.upload(ApiClient.header("Prefer", "wait=120"), png);
        assertThat(upload.status()).isEqualTo(201);
        var prediction = upload.body().path("images").path(0).path("predictions").path(0);
        assertThat(prediction.path("model").path("id").asString()).isEqualTo("chestlens-demo-format1");
        for (int k = 0; k < 4; k++) {
            assertThat(prediction.path("probabilities").path("CVX" + k).asDouble())
                    .isCloseTo(Double.parseDouble(row[header.indexOf("fold0_p" + k)]), within(1e-4));
        }
        String id = prediction.path("id").asString();
        for (String query : List.of("", "?format=json", "?class=CVX1&format=json")) {
            Answer heatMap = api.get("/api/v1/predictions/" + id + "/heatmap" + query);
            assertThat(heatMap.status()).as(query).isEqualTo(409);
            assertThat(heatMap.contentType()).startsWith("application/problem+json");
            assertThat(heatMap.body().path("type").asString()).isEqualTo("urn:chestlens:problem:explanation-unavailable");
            assertThat(heatMap.body().path("modelId").asString()).isEqualTo("chestlens-demo-format1");
        }
        // The model's view does not depend on the package format.
        String imageId = upload.body().path("images").path(0).path("id").asString();
        assertThat(api.getBytes("/api/v1/images/" + imageId + "/model-view", new HttpHeaders()).status())
                .isEqualTo(200);
    }
}
