package org.chestlens.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The evaluation endpoint over a cohort of this test's own uploads (isolated by receivedFrom):
 * checked against the predictions the API returned and labels whose agreement is known.
 */
@ChestlensIntegrationTest
class EvaluationApiTest {

    static final String MODEL = "chestlens-demo-densenet121";

    @LocalServerPort
    int port;

    @Test
    void evaluatesTheModelAndTheReadersOverACohort() {
        ApiClient api = new ApiClient(port);
        Instant start = Instant.now();
        List<String> ids = new ArrayList<>();
        List<Integer> predicted = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            Answer answer = api.upload(ApiClient.header("Prefer", "wait=120"), TestImages.syntheticPng(7000 + i, 300, 330));
            assertThat(answer.status()).isEqualTo(201);
            JsonNode image = answer.body().path("images").path(0);
            ids.add(image.path("id").asString());
            predicted.add(image.path("predictions").path(0).path("predictedClass").path("index").asInt());
        }
        // Reference: the model's own class on the first 9 images, another class on the last 3.
        // Reader "same" copies the reference; reader "shifted" says (reference + 1) mod 4 on every 4th image.
        StringBuilder labels = new StringBuilder("{\"labels\": [");
        int[] reference = new int[12];
        int[] shiftedLabels = new int[12];
        for (int i = 0; i < 12; i++) {
            reference[i] = i < 9 ? predicted.get(i) : (predicted.get(i) + 2) % 4;
            int shifted = i % 4 == 0 ? (reference[i] + 1) % 4 : reference[i];
            shiftedLabels[i] = shifted;
            labels.append(i == 0 ? "" : ",").append("""
                    {"image": "%s", "label": %d}, {"image": "%s", "reader": "same", "label": %d},
                    {"image": "%s", "reader": "shifted", "label": %d}""".formatted(
                    ids.get(i), reference[i], ids.get(i), reference[i], ids.get(i), shifted));
        }
        assertThat(api.postJson("/api/v1/labels", labels.append("]}").toString()).status()).isEqualTo(200);

        Answer answer = api.get("/api/v1/evaluations?modelId=" + MODEL + "&receivedFrom=" + start + "&bootstrap=200");
        assertThat(answer.status()).isEqualTo(200);
        JsonNode report = answer.body();
        // The version of the scored predictions: the one the service serves.
        assertThat(report.path("cohort").path("modelVersion").asString())
                .isEqualTo(servedVersion(api)).isNotBlank();
        assertThat(report.path("labelledPredictions").asInt()).isEqualTo(12);
        JsonNode modelMetrics = report.path("model");
        assertThat(modelMetrics.path("multiclassAccuracy").asDouble()).isCloseTo(9 / 12.0, within(1e-12));
        assertThat(modelMetrics.path("multiclassInterval").path("low").asDouble()).isLessThanOrEqualTo(0.75);
        int diagonal = IntStream.range(0, 4).map(k -> modelMetrics.path("confusion").path(k).path(k).asInt()).sum();
        assertThat(diagonal).isEqualTo(9);
        assertThat(modelMetrics.path("subTasks")).hasSize(3);
        assertThat(modelMetrics.path("subTasks").path(0).path("n").asInt()).isEqualTo(12);
        assertThat(modelMetrics.path("reliability")).hasSize(10);
        assertThat(modelMetrics.path("bootstrapResamples").asInt()).isEqualTo(200);

        JsonNode readers = report.path("readers");
        assertThat(readers).hasSize(2);
        assertThat(readers.path(0).path("reader").asString()).isEqualTo("same");
        assertThat(readers.path(0).path("metrics").path("multiclassAccuracy").asDouble()).isEqualTo(1.0);
        assertThat(readers.path(1).path("metrics").path("multiclassAccuracy").asDouble()).isCloseTo(9 / 12.0, within(1e-12));
        JsonNode agreement = report.path("agreement");
        int[] model = predicted.stream().mapToInt(Integer::intValue).toArray();
        assertThat(agreement).hasSize(3);
        assertAgreement(agreement.path(0), "model", "same", kappa(model, reference));
        assertAgreement(agreement.path(1), "model", "shifted", kappa(model, shiftedLabels));
        assertAgreement(agreement.path(2), "same", "shifted", kappa(reference, shiftedLabels));
        assertThat(report.path("comparison")).hasSize(4);
        assertThat(report.path("comparison").path(3).path("subTask").asString()).isEqualTo("multiclass");
        assertThat(report.path("comparison").path(3).path("readers").path("same").asDouble()).isEqualTo(1.0);

        Answer empty = api.get("/api/v1/evaluations?modelId=" + MODEL + "&receivedFrom=" + Instant.now().plusSeconds(3600));
        assertThat(empty.status()).isEqualTo(422);
        assertThat(empty.contentType()).startsWith("application/problem+json");
        assertThat(api.get("/api/v1/evaluations?modelId=no-such-model").status()).isEqualTo(404);
        assertThat(api.get("/api/v1/evaluations?modelId=" + MODEL + "&bootstrap=-1").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/evaluations").status()).isEqualTo(400);
    }

    private static void assertAgreement(JsonNode pair, String first, String second, double kappa) {
        assertThat(pair.path("first").asString()).isEqualTo(first);
        assertThat(pair.path("second").asString()).isEqualTo(second);
        assertThat(pair.path("images").asInt()).isEqualTo(12);
        assertThat(pair.path("kappa").isNumber()).as("kappa of %s and %s is a number", first, second).isTrue();
        assertThat(pair.path("kappa").asDouble()).isCloseTo(kappa, within(1e-12));
    }

    /** Cohen's kappa from the 4 x 4 agreement table: (observed - chance) / (1 - chance). */
    private static double kappa(int[] a, int[] b) {
        double[][] table = new double[4][4];
        for (int i = 0; i < a.length; i++) {
            table[a[i]][b[i]] += 1.0 / a.length;
        }
        double observed = 0;
        double chance = 0;
        for (int k = 0; k < 4; k++) {
            observed += table[k][k];
            double row = 0;
            double column = 0;
            for (int j = 0; j < 4; j++) {
                row += table[k][j];
                column += table[j][k];
            }
            chance += row * column;
        }
        return (observed - chance) / (1 - chance);
    }

    private static String servedVersion(ApiClient api) {
        return api.get("/api/v1/models").body().path(0).path("version").asString();
    }
}
