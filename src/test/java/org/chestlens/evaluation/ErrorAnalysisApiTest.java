package org.chestlens.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import tools.jackson.databind.JsonNode;

/**
 * A failure mode planted through the reference labels (the model is "wrong" on every wide image and
 * right on every narrow one) must come out of the tree, and once the run is active every prediction,
 * fetched or new, carries its leaf's reliability.
 */
@ChestlensIntegrationTest
class ErrorAnalysisApiTest {

    @LocalServerPort
    int port;

    private Answer send(HttpMethod method, String path, String body) {
        return new ApiClient(port).send(method, path, new HttpHeaders(), body == null ? null : MediaType.APPLICATION_JSON,
                body);
    }

    @Test
    void aPlantedFailureModeIsFoundAndEveryPredictionCarriesItsReliability() {
        ApiClient api = new ApiClient(port);
        Instant start = Instant.now();
        List<String> predictionIds = new ArrayList<>();
        StringBuilder labels = new StringBuilder("{\"labels\": [");
        for (int i = 0; i < 16; i++) {
            int width = i < 8 ? 300 + i : 500 + i;
            JsonNode image = api.upload(ApiClient.header("Prefer", "wait=120"),
                    TestImages.syntheticPng(9100 + i, width, 320)).body().path("images").path(0);
            JsonNode prediction = image.path("predictions").path(0);
            predictionIds.add(prediction.path("id").asString());
            int predicted = prediction.path("predictedClass").path("index").asInt();
            int reference = width >= 500 ? (predicted + 1) % 4 : predicted;
            labels.append(i == 0 ? "" : ",").append("{\"image\": \"%s\", \"label\": %d}"
                    .formatted(image.path("id").asString(), reference));
        }
        assertThat(send(HttpMethod.POST, "/api/v1/labels", labels.append("]}").toString()).status()).isEqualTo(200);

        String request = """
                {"cohort": {"modelId": "chestlens-demo-densenet121", "receivedFrom": "%s"},
                 "features": ["width", "confidence", "modality"], "minSamplesPerLeaf": 5,
                 "heatMap": ["width", "modality"]}""".formatted(start);
        Answer created = send(HttpMethod.POST, "/api/v1/error-analyses", request);
        assertThat(created.status()).isEqualTo(201);
        JsonNode run = created.body();
        String runId = run.path("id").asString();
        assertThat(created.headers().getLocation()).hasToString("/api/v1/error-analyses/" + runId);
        assertThat(run.path("size").asInt()).isEqualTo(16);
        assertThat(run.path("errors").asInt()).isEqualTo(8);
        assertThat(run.path("overallErrorRate").asDouble()).isEqualTo(0.5);
        assertThat(run.path("parameters").path("maxDepth").asInt()).isEqualTo(3);
        assertThat(run.path("active").asBoolean()).isFalse();
        JsonNode root = run.path("nodes").path(0);
        assertThat(root.path("size").asInt()).isEqualTo(16);
        JsonNode wide = run.path("nodes").path(root.path("children").path(1).asInt());
        assertThat(wide.path("condition").asString()).startsWith("width > ");
        assertThat(wide.path("errorRate").asDouble()).isEqualTo(1.0);
        assertThat(wide.path("errorCoverage").asDouble()).isEqualTo(1.0);
        assertThat(wide.path("leaf").asBoolean()).isTrue();
        assertThat(run.path("heatMap").path("x").path("bins")).hasSize(8);
        assertThat(run.path("heatMap").path("y").path("bins").path(0).asString()).isEqualTo("(missing)");

        // Not active yet: predictions carry no reliability.
        assertThat(api.get("/api/v1/predictions/" + predictionIds.get(12)).body().has("reliability")).isFalse();
        assertThat(send(HttpMethod.PUT, "/api/v1/error-analyses/" + runId + "/active", null).body()
                .path("active").asBoolean()).isTrue();

        JsonNode wideReliability = api.get("/api/v1/predictions/" + predictionIds.get(12)).body().path("reliability");
        assertThat(wideReliability.path("analysisId").asString()).isEqualTo(runId);
        assertThat(wideReliability.path("cases").asString()).startsWith("width > ");
        assertThat(wideReliability.path("errorRate").asDouble()).isEqualTo(1.0);
        assertThat(wideReliability.path("size").asInt()).isEqualTo(8);
        assertThat(wideReliability.path("flagged").asBoolean()).isTrue();
        assertThat(wideReliability.path("summary").asString()).isEqualTo("cases like this: 100% wrong, n = 8");
        JsonNode narrowReliability = api.get("/api/v1/predictions/" + predictionIds.get(2)).body().path("reliability");
        assertThat(narrowReliability.path("errorRate").asDouble()).isZero();
        assertThat(narrowReliability.path("flagged").asBoolean()).isFalse();

        // A new upload gets it inline too.
        JsonNode fresh = api.upload(ApiClient.header("Prefer", "wait=120"), TestImages.syntheticPng(9200, 640, 320))
                .body().path("images").path(0).path("predictions").path(0).path("reliability");
        assertThat(fresh.path("flagged").asBoolean()).isTrue();

        assertThat(api.get("/api/v1/error-analyses/" + runId).body().path("active").asBoolean()).isTrue();
        assertThat(api.get("/api/v1/error-analyses?modelId=chestlens-demo-densenet121").body().path("items").path(0)
                .path("id").asString()).isEqualTo(runId);
        // A second run: pages of one, newest first, follow the cursor to the first run.
        String second = send(HttpMethod.POST, "/api/v1/error-analyses", request).body().path("id").asString();
        JsonNode firstPage = api.get("/api/v1/error-analyses?modelId=chestlens-demo-densenet121&limit=1").body();
        assertThat(firstPage.path("items").path(0).path("id").asString()).isEqualTo(second);
        JsonNode nextPage = api.get("/api/v1/error-analyses?modelId=chestlens-demo-densenet121&limit=1&cursor="
                + firstPage.path("nextCursor").asString()).body();
        assertThat(nextPage.path("items").path(0).path("id").asString()).isEqualTo(runId);
        assertThat(api.get("/api/v1/error-analyses?cursor=not-a-cursor").status()).isEqualTo(400);
        assertThat(send(HttpMethod.DELETE, "/api/v1/error-analyses/" + runId + "/active", null).status()).isEqualTo(200);
        assertThat(api.get("/api/v1/predictions/" + predictionIds.get(12)).body().has("reliability")).isFalse();
    }

    @Test
    void badRequestsAreProblems() {
        Answer unknownFeature = send(HttpMethod.POST, "/api/v1/error-analyses", """
                {"cohort": {"modelId": "chestlens-demo-densenet121"}, "features": ["shoeSize"]}""");
        assertThat(unknownFeature.status()).isEqualTo(400);
        assertThat(unknownFeature.body().path("knownFeatures").toString()).contains("distanceSourceToDetector");
        assertThat(send(HttpMethod.POST, "/api/v1/error-analyses", """
                {"cohort": {"modelId": "chestlens-demo-densenet121"}, "features": []}""").status()).isEqualTo(400);
        assertThat(send(HttpMethod.POST, "/api/v1/error-analyses", """
                {"cohort": {"modelId": "chestlens-demo-densenet121"}, "features": ["width"], "maxDepth": 0}""")
                .status()).isEqualTo(400);
        assertThat(send(HttpMethod.POST, "/api/v1/error-analyses", """
                {"cohort": {"modelId": "nope"}, "features": ["width"]}""").status()).isEqualTo(404);
        Answer empty = send(HttpMethod.POST, "/api/v1/error-analyses", """
                {"cohort": {"modelId": "chestlens-demo-densenet121", "receivedFrom": "%s"}, "features": ["width"]}"""
                .formatted(Instant.now().plusSeconds(3600)));
        assertThat(empty.status()).isEqualTo(422);
        assertThat(send(HttpMethod.PUT, "/api/v1/error-analyses/" + java.util.UUID.randomUUID() + "/active", null)
                .status()).isEqualTo(404);
        assertThat(api().get("/api/v1/error-analyses/features").body().toString()).contains("kvp", "confidence");
    }

    private ApiClient api() {
        return new ApiClient(port);
    }
}
