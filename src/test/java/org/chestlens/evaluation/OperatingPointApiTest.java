package org.chestlens.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * Operating points derived from a labelled cohort, the way the label study labels one (uploads, then reference
 * labels posted for them): the synthetic fixture films (models/training/fixtures, two per class, as 16- and 8-bit
 * PNG, made new uploads by a text chunk), their reference labels from the fixtures' dataset.csv. The reported
 * sensitivity and specificity are recomputed here from the stored predictions read back through the API; new
 * predictions then carry the flags of the activated configuration, and the search filters by flag and sorts by a
 * class probability.
 */
@ChestlensIntegrationTest
class OperatingPointApiTest {

    static final String MODEL = "chestlens-demo-densenet121";
    static final Path FIXTURES = Path.of("models/training/fixtures");
    static final String[] CODES = {"CVX0", "CVX1", "CVX2", "CVX3"};

    @LocalServerPort
    int port;

    @Test
    void derivedAtSensitivity090MatchesARecomputationAndFlagsNewPredictions() throws IOException {
        ApiClient api = new ApiClient(port);
        Instant start = Instant.now();
        Map<String, Integer> truth = new HashMap<>();
        StringBuilder labels = new StringBuilder("{\"labels\": [");
        for (String line : Files.readAllLines(FIXTURES.resolve("dataset.csv")).subList(1, 9)) {
            String[] f = line.split(",");
            for (String format : List.of("png16", "png8")) {
                byte[] png = TestImages.withTextChunk(Files.readAllBytes(FIXTURES.resolve(format + "/" + f[0] + ".png")),
                        "operating points " + start);
                String image = api.uploadScored(png).path("id").asString();
                truth.put(image, Integer.parseInt(f[3]));
                labels.append(truth.size() == 1 ? "" : ",").append("{\"image\": \"%s\", \"label\": %s}".formatted(image, f[3]));
            }
        }
        assertThat(api.postJson("/api/v1/labels", labels.append("]}").toString()).status()).isEqualTo(200);

        String request = """
                {"cohort": {"modelId": "%s", "receivedFrom": "%s"}, "targetSensitivity": 0.9, "bootstrap": 200,
                 "activate": true}""".formatted(MODEL, start);
        Answer derived = api.postJson("/api/v1/operating-points", request);
        Examples.record("POST /api/v1/operating-points", 201, derived.body(), request);
        assertThat(derived.status()).as(derived.body().toString()).isEqualTo(201);
        JsonNode configuration = derived.body();
        assertThat(derived.headers().getLocation()).hasToString("/api/v1/operating-points/" + configuration.path("id").asString());
        assertThat(configuration.path("source").asString()).isEqualTo("derived");
        assertThat(configuration.path("scoreSource").asString()).isEqualTo("probabilities");
        assertThat(configuration.path("active").asBoolean()).isTrue();
        assertThat(configuration.path("labelled").asInt()).isEqualTo(16);
        assertThat(configuration.path("targetSensitivity").asDouble()).isEqualTo(0.9);
        JsonNode points = configuration.path("points");
        assertThat(points).hasSize(3);

        // Recompute from the stored predictions: each image's probabilities as the API returns them.
        Map<String, double[]> stored = new HashMap<>();
        for (String image : truth.keySet()) {
            JsonNode p = api.get("/api/v1/images/" + image).body().path("predictions").path(0).path("probabilities");
            stored.put(image, new double[] {p.path("CVX0").asDouble(), p.path("CVX1").asDouble(),
                    p.path("CVX2").asDouble(), p.path("CVX3").asDouble()});
        }
        for (JsonNode point : points) {
            int k = List.of(CODES).indexOf(point.path("finding").asString());
            double threshold = point.path("threshold").asDouble();
            int tp = 0, p = 0, tn = 0, n = 0;
            List<Double> positives = new ArrayList<>();
            for (var e : truth.entrySet()) {
                boolean flagged = stored.get(e.getKey())[k] >= threshold;
                if (e.getValue() == k) {
                    p++;
                    tp += flagged ? 1 : 0;
                    positives.add(stored.get(e.getKey())[k]);
                } else {
                    n++;
                    tn += flagged ? 0 : 1;
                }
            }
            assertThat(point.path("positives").asInt()).isEqualTo(p).isEqualTo(4);
            assertThat(point.path("negatives").asInt()).isEqualTo(n).isEqualTo(12);
            assertThat(point.path("sensitivity").asDouble()).isCloseTo((double) tp / p, within(1e-12))
                    .isGreaterThanOrEqualTo(0.9);
            assertThat(point.path("specificity").asDouble()).as(point.toString()).isCloseTo((double) tn / n, within(1e-12));
            // The highest threshold that reaches the target: ceil(0.9 x 4) = 4, the lowest positive score.
            assertThat(threshold).isCloseTo(positives.stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
                    within(1e-12));
            JsonNode sensitivity = point.path("sensitivityInterval");
            assertThat(sensitivity.path("low").asDouble()).isLessThanOrEqualTo(sensitivity.path("high").asDouble());
            assertThat(point.path("specificityInterval").path("low").asDouble())
                    .isLessThanOrEqualTo(point.path("specificity").asDouble() + 1e-12);
            assertThat(point.path("thresholdInterval").isObject()).isTrue();
        }
        assertThat(configuration.path("cohort").path("modelVersion").asString()).isNotBlank();

        // New predictions carry the flags of the active configuration.
        Map<String, Double> thresholds = new HashMap<>();
        points.forEach(point -> thresholds.put(point.path("finding").asString(), point.path("threshold").asDouble()));
        Instant flaggedFrom = Instant.now();
        for (String series : List.of("F00001-1", "F00003-1", "F00000-1")) {
            byte[] png = TestImages.withTextChunk(Files.readAllBytes(FIXTURES.resolve("png16/" + series + ".png")),
                    "flags " + flaggedFrom);
            JsonNode prediction = api.uploadScored(png).path("predictions").path(0);
            assertThat(prediction.path("operatingPointVersion").asInt()).isEqualTo(configuration.path("version").asInt());
            List<String> expected = new ArrayList<>();
            for (String code : List.of("CVX1", "CVX2", "CVX3")) {
                if (prediction.path("probabilities").path(code).asDouble() >= thresholds.get(code)) {
                    expected.add(code);
                }
            }
            List<String> flags = new ArrayList<>();
            prediction.path("flags").forEach(flag -> flags.add(flag.asString()));
            assertThat(prediction.has("flags")).isTrue();
            assertThat(flags).as(series).isEqualTo(expected);
        }
        // F00001 is a clear CVX1 film: flagged CVX1, and found by the flag filter; sorted by its CVX1 probability.
        Answer byFlag = api.get("/api/v1/predictions?flag=CVX1&createdFrom=" + flaggedFrom);
        assertThat(byFlag.body().path("items")).isNotEmpty();
        byFlag.body().path("items").forEach(item -> assertThat(item.path("flags").toString()).contains("CVX1"));
        Answer first = api.get("/api/v1/predictions?sortByProbabilityOf=CVX3&limit=2&createdFrom=" + flaggedFrom);
        Answer second = api.get("/api/v1/predictions?sortByProbabilityOf=CVX3&limit=2&createdFrom=" + flaggedFrom
                + "&cursor=" + first.body().path("nextCursor").asString());
        List<Double> order = new ArrayList<>();
        for (Answer page : List.of(first, second)) {
            page.body().path("items").forEach(item -> order.add(item.path("probabilities").path("CVX3").asDouble()));
        }
        assertThat(order).hasSize(3).isSortedAccordingTo((a, b) -> Double.compare(b, a));
        assertThat(api.get("/api/v1/predictions?sortByProbabilityOf=CVX3&cursor=" + first.body().path("nextCursor").asString()
                .substring(1)).status()).isEqualTo(400);

        // The list shows it; deactivating it leaves new predictions without flags.
        Answer list = api.get("/api/v1/operating-points?modelId=" + MODEL);
        Examples.record("GET /api/v1/operating-points", 200, list.body(), null);
        Examples.record("GET /api/v1/operating-points/{id}", 200,
                api.get("/api/v1/operating-points/" + configuration.path("id").asString()).body(), null);
        assertThat(list.body().path(0).path("id").asString()).isEqualTo(configuration.path("id").asString());
        Answer off = api.delete("/api/v1/operating-points/" + configuration.path("id").asString() + "/active");
        assertThat(off.body().path("active").asBoolean()).isFalse();
        Examples.record("DELETE /api/v1/operating-points/{id}/active", 200, off.body(), null);
        JsonNode unflagged = api.uploadScored(TestImages.withTextChunk(
                Files.readAllBytes(FIXTURES.resolve("png16/F00002-1.png")), "unflagged " + start)).path("predictions").path(0);
        assertThat(unflagged.has("flags")).isFalse();
        Answer on = api.putJson("/api/v1/operating-points/" + configuration.path("id").asString() + "/active", "{}");
        assertThat(on.body().path("active").asBoolean()).isTrue();
        Examples.record("PUT /api/v1/operating-points/{id}/active", 200, on.body(), null);
        Examples.write();

        Answer empty = api.postJson("/api/v1/operating-points", """
                {"cohort": {"modelId": "%s", "receivedFrom": "%s"}, "targetSensitivity": 0.9}"""
                .formatted(MODEL, Instant.now().plusSeconds(3600)));
        assertThat(empty.status()).isEqualTo(422);
        assertThat(api.postJson("/api/v1/operating-points", """
                {"cohort": {"modelId": "%s"}, "targetSensitivity": 1.5}""".formatted(MODEL)).status()).isEqualTo(400);
    }

    /**
     * The answers above as contract examples (target/captured-examples.json, merged into openapi-examples.json by
     * hand until openapi/capture_examples.py, which now calls these endpoints too, is run again).
     */
    static final class Examples {
        private static final tools.jackson.databind.node.ObjectNode ALL =
                tools.jackson.databind.json.JsonMapper.builder().build().createObjectNode();

        static void record(String operation, int status, JsonNode answer, String request) {
            var entry = ALL.putObject(operation);
            if (request != null) {
                entry.set("request", tools.jackson.databind.json.JsonMapper.builder().build().readTree(request));
            }
            entry.putObject("responses").set(String.valueOf(status), answer);
        }

        static void write() throws IOException {
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target/captured-examples.json"), ALL.toPrettyString());
        }
    }
}
