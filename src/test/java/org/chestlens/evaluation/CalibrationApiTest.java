package org.chestlens.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.interop.StudyInstances;
import org.chestlens.interop.pacs.Dciodvfy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.LinkedMultiValueMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Calibration on the label-study cohort ({@link LabelStudyCohort}). Temperature scaling must bring the cross-fitted ECE from about 0.19 to at most 0.05 without changing
 * a single predicted class and lower the NLL; a cohort of 99 labelled cases is refused; and a real
 * prediction reads the same raw values before and after activation, with calibrated ones only after,
 * in REST, FHIR and the DICOM SR.
 */
@ChestlensIntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CalibrationApiTest {

    private static final String MODEL = LabelStudyCohort.MODEL;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Instant BASE = LabelStudyCohort.BASE;

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    CalibrationService calibrations;

    private LabelStudyCohort labelStudy;
    private String institution;
    private final List<UUID> predictionIds = new ArrayList<>();
    private final List<Integer> storedClasses = new ArrayList<>();
    private final List<Integer> truths = new ArrayList<>();
    private final List<double[]> rawCases = new ArrayList<>();

    @BeforeAll
    void loadTheLabelStudyCohort() throws IOException {
        labelStudy = LabelStudyCohort.load(jdbc, api());
        institution = labelStudy.institution();
        predictionIds.addAll(labelStudy.predictionIds());
        storedClasses.addAll(labelStudy.storedClasses());
        truths.addAll(labelStudy.truths());
        rawCases.addAll(labelStudy.probabilities());
    }

    private ApiClient api() {
        return new ApiClient(port);
    }

    private String cohort(String extra) {
        return labelStudy.filter(extra);
    }

    private Answer fit(String cohort) {
        return api().sendJson(HttpMethod.POST, "/api/v1/calibrations", "{\"cohort\": " + cohort + "}");
    }

    @Test
    void onTheLabelStudyCohortTemperatureScalingBringsTheCrossFittedEceUnderFivePercentAndKeepsEveryClass()
            throws IOException {
        Answer created = fit(cohort(""));
        assertThat(created.status()).as(created.body().toString()).isEqualTo(201);
        JsonNode c = created.body();
        String id = c.path("id").asString();
        assertThat(created.headers().getLocation()).hasToString("/api/v1/calibrations/" + id);
        assertThat(c.path("method").asString()).isEqualTo("temperature");
        assertThat(c.path("labelledCases").asInt()).isEqualTo(467);
        assertThat(c.path("folds").asInt()).isEqualTo(5);
        assertThat(c.path("active").asBoolean()).isFalse();
        assertThat(c.path("createdBy").asString()).isNotBlank();
        assertThat(c.path("cohort").path("institutionName").asString()).isEqualTo(institution);
        assertThat(c.path("version").asInt()).isPositive();
        JsonNode before = c.path("before");
        JsonNode after = c.path("after");
        double temperature = c.path("parameters").path("temperature").asDouble();
        System.out.printf(Locale.ROOT, "label-study calibration: T = %.4f; accuracy %.4f -> %.4f; ECE %.4f [%.4f, %.4f]"
                        + " -> %.4f [%.4f, %.4f]; NLL %.4f -> %.4f; Brier %.4f -> %.4f; classes changed %d%n",
                temperature, before.path("accuracy").asDouble(), after.path("accuracy").asDouble(),
                before.path("expectedCalibrationError").asDouble(),
                before.path("expectedCalibrationErrorInterval").path("low").asDouble(),
                before.path("expectedCalibrationErrorInterval").path("high").asDouble(),
                after.path("expectedCalibrationError").asDouble(),
                after.path("expectedCalibrationErrorInterval").path("low").asDouble(),
                after.path("expectedCalibrationErrorInterval").path("high").asDouble(),
                before.path("negativeLogLikelihood").asDouble(), after.path("negativeLogLikelihood").asDouble(),
                before.path("brierScore").asDouble(), after.path("brierScore").asDouble(),
                c.path("predictedClassChanges").asInt());

        // The label study's numbers on the raw scores, then the calibrated ones on cross-fitted folds.
        assertThat(before.path("accuracy").asDouble()).isCloseTo(0.908, within(0.001));
        assertThat(before.path("expectedCalibrationError").asDouble()).isCloseTo(0.189, within(0.005));
        assertThat(after.path("expectedCalibrationError").asDouble()).isLessThanOrEqualTo(0.05);
        assertThat(after.path("negativeLogLikelihood").asDouble()).isLessThan(before.path("negativeLogLikelihood").asDouble());
        assertThat(after.path("brierScore").asDouble()).isLessThan(before.path("brierScore").asDouble());
        assertThat(temperature).as("under-confident ensemble: sharpened").isLessThan(1);
        assertThat(c.path("predictedClassChanges").asInt()).isZero();
        assertThat(after.path("accuracy").asDouble()).isEqualTo(before.path("accuracy").asDouble());
        assertThat(after.path("reliability")).hasSize(10);
        assertThat(before.path("reliability").path(5).path("accuracyInterval").path("high").isNumber()).isTrue();
        Answer read = api().get("/api/v1/calibrations/" + id);
        assertThat(read.body().path("after")).isEqualTo(after);
        Answer listed = api().get("/api/v1/calibrations?modelId=" + MODEL + "&limit=1");
        assertThat(listed.body().path("items").path(0).path("id").asString()).isEqualTo(id);
        assertThat(listed.body().path("nextCursor").isString()).isTrue();

        Answer activated = api().send(HttpMethod.PUT, "/api/v1/calibrations/" + id + "/active", new HttpHeaders(),
                null, null);
        try {
            assertThat(activated.body().path("active").asBoolean()).isTrue();
            // Every prediction of the cohort, read back: raw as stored, calibrated argmax identical.
            int sameClass = 0;
            List<double[]> calibratedCases = new ArrayList<>();
            for (int i = 0; i < predictionIds.size(); i++) {
                JsonNode p = api().get("/api/v1/predictions/" + predictionIds.get(i)).body();
                assertThat(p.path("calibrationId").asString()).isEqualTo(id);
                assertThat(p.path("predictedClass").path("index").asInt()).isEqualTo(storedClasses.get(i));
                double[] calibrated = new double[4];
                for (int k = 0; k < 4; k++) {
                    calibrated[k] = p.path("calibratedProbabilities").path("CVX" + k).asDouble();
                }
                sameClass += CalibrationQuality.argmax(calibrated) == storedClasses.get(i) ? 1 : 0;
                calibratedCases.add(calibrated);
            }
            assertThat(sameClass).isEqualTo(467);
            // By id, as operating points derived on this calibration use it: the same numbers as the API's, twice
            // (the second from the service's memory of the immutable calibration).
            JsonNode first = api().get("/api/v1/predictions/" + predictionIds.get(0)).body().path("probabilities");
            double[] raw = {first.path("CVX0").asDouble(), first.path("CVX1").asDouble(),
                    first.path("CVX2").asDouble(), first.path("CVX3").asDouble()};
            for (int twice = 0; twice < 2; twice++) {
                assertThat(calibrations.calibrateWith(UUID.fromString(id), raw).orElseThrow().probabilities())
                        .containsExactly(calibratedCases.get(0), within(1e-15));
            }
            assertThat(calibrations.calibrateWith(UUID.randomUUID(), raw)).isEmpty();

            // Operating points derived while the calibration is active sit on the calibrated probabilities: the
            // configuration names the calibration, and what it reports is recomputed from calibratedProbabilities.
            Answer derived = api().sendJson(HttpMethod.POST, "/api/v1/operating-points", """
                    {"cohort": %s, "targetSensitivity": 0.9, "bootstrap": 50, "activate": false}""".formatted(cohort("")));
            assertThat(derived.status()).as(derived.body().toString()).isEqualTo(201);
            assertThat(derived.body().path("scoreSource").asString()).isEqualTo("calibrated-probabilities:" + id);
            assertThat(derived.body().path("points")).hasSize(3);
            assertReportedRatesMatchARecount(derived.body(), calibratedCases);

            // The evaluation report: raw and calibrated reliability side by side.
            JsonNode report = api().get("/api/v1/evaluations?modelId=" + MODEL + "&institutionName=" + institution
                    + "&bootstrap=100").body();
            JsonNode diagrams = report.path("reliabilityDiagrams");
            assertThat(diagrams.path("calibrationId").asString()).isEqualTo(id);
            assertThat(diagrams.path("raw").path("reliability")).hasSize(10);
            assertThat(diagrams.path("calibrated").path("reliability")).hasSize(10);
            assertThat(diagrams.path("raw").path("expectedCalibrationError").asDouble())
                    .isCloseTo(report.path("model").path("expectedCalibrationError").asDouble(), within(1e-12));
            assertThat(diagrams.path("calibrated").path("expectedCalibrationError").asDouble()).isLessThan(0.05);
        } finally {
            Answer deactivated = api().delete("/api/v1/calibrations/" + id + "/active");
            // Real answers on the label-study cohort, for the contract's examples (openapi/capture_examples.py --merge).
            Map<String, Object> examples = new java.util.TreeMap<>();
            examples.put("POST /api/v1/calibrations", Map.of("request",
                    JSON.readTree("{\"cohort\": " + cohort("") + "}"), "responses", Map.of("201", c)));
            examples.put("GET /api/v1/calibrations/{id}", Map.of("responses", Map.of("200", read.body())));
            examples.put("GET /api/v1/calibrations", Map.of("responses", Map.of("200", listed.body())));
            examples.put("PUT /api/v1/calibrations/{id}/active", Map.of("responses", Map.of("200", activated.body())));
            examples.put("DELETE /api/v1/calibrations/{id}/active",
                    Map.of("responses", Map.of("200", deactivated.body())));
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target/calibration-examples.json"), JSON.writeValueAsString(examples));
        }
        assertThat(api().get("/api/v1/predictions/" + predictionIds.get(0)).body().has("calibratedProbabilities"))
                .isFalse();
        assertThat(api().get("/api/v1/evaluations?modelId=" + MODEL + "&institutionName=" + institution
                + "&bootstrap=0").body().has("reliabilityDiagrams")).isFalse();
    }

    /**
     * The check of an operating point: derived from the label-study cohort at sensitivity 0.90 on the raw
     * ensemble probabilities (no calibration active), the reported sensitivity and specificity of every finding are
     * those recounted from the probabilities the API serves for the stored predictions.
     */
    @Test
    void operatingPointsDerivedAtSensitivityNinetyOnTheLabelStudyCohortReportWhatARecountOfTheStoredScoresGives() {
        Answer derived = api().sendJson(HttpMethod.POST, "/api/v1/operating-points", """
                {"cohort": %s, "targetSensitivity": 0.9, "bootstrap": 50, "activate": false}""".formatted(cohort("")));
        assertThat(derived.status()).as(derived.body().toString()).isEqualTo(201);
        assertThat(derived.body().path("scoreSource").asString()).isEqualTo("probabilities");
        assertThat(derived.body().path("active").asBoolean()).isFalse();
        List<double[]> served = new ArrayList<>();
        for (UUID id : predictionIds) {
            JsonNode p = api().get("/api/v1/predictions/" + id).body().path("probabilities");
            served.add(new double[] {p.path("CVX0").asDouble(), p.path("CVX1").asDouble(), p.path("CVX2").asDouble(),
                    p.path("CVX3").asDouble()});
        }
        for (int i = 0; i < served.size(); i++) {
            assertThat(served.get(i)).containsExactly(rawCases.get(i), within(1e-12));
        }
        assertReportedRatesMatchARecount(derived.body(), served);
    }

    /** Recounts each point's sensitivity and specificity over the cohort from the given per-case scores. */
    private void assertReportedRatesMatchARecount(JsonNode configuration, List<double[]> cases) {
        assertThat(configuration.path("points")).hasSize(3);
        for (JsonNode point : configuration.path("points")) {
            int k = Integer.parseInt(point.path("finding").asString().substring(3));
            double threshold = point.path("threshold").asDouble();
            int tp = 0, positives = 0, tn = 0, negatives = 0;
            for (int i = 0; i < truths.size(); i++) {
                boolean flagged = cases.get(i)[k] >= threshold;
                if (truths.get(i) == k) {
                    positives++;
                    tp += flagged ? 1 : 0;
                } else {
                    negatives++;
                    tn += flagged ? 0 : 1;
                }
            }
            assertThat(positives).isPositive();
            assertThat(point.path("sensitivity").asDouble()).as(point.toString())
                    .isCloseTo((double) tp / positives, within(1e-12)).isGreaterThanOrEqualTo(0.9);
            assertThat(point.path("specificity").asDouble()).as(point.toString())
                    .isCloseTo((double) tn / negatives, within(1e-12));
            System.out.printf(Locale.ROOT, "label-study operating point (%s) %s: threshold %.4f, sensitivity %.4f,"
                            + " specificity %.4f%n", configuration.path("scoreSource").asString(),
                    point.path("finding").asString(), threshold, point.path("sensitivity").asDouble(),
                    point.path("specificity").asDouble());
        }
    }

    @Test
    void fewerThanAHundredLabelledCasesAreRefusedWith422() {
        // Fixture rows are received one second apart: up to BASE + 100 s holds exactly 99 of them.
        Answer refused = fit(cohort(", \"receivedTo\": \"%s\"".formatted(BASE.plusSeconds(100))));
        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.contentType()).startsWith("application/problem+json");
        assertThat(refused.body().path("type").asString()).isEqualTo("urn:chestlens:problem:too-few-labelled-cases");
        assertThat(refused.body().path("labelledCases").asInt()).isEqualTo(99);
        assertThat(refused.body().path("minLabelledCases").asInt()).isEqualTo(100);
        assertThat(refused.body().path("detail").asString()).contains("99", "at least 100");
        assertThat(fit(cohort(", \"receivedTo\": \"%s\"".formatted(BASE.plusSeconds(101)))).status()).isEqualTo(201);

        assertThat(fit("{\"modelId\": \"nope\"}").status()).isEqualTo(404);
        assertThat(api().sendJson(HttpMethod.POST, "/api/v1/calibrations", "{\"cohort\": " + cohort("")
                + ", \"method\": \"isotonic\"}").status()).isEqualTo(400);
        assertThat(api().sendJson(HttpMethod.POST, "/api/v1/calibrations", "{\"cohort\": " + cohort("")
                + ", \"folds\": 1}").status()).isEqualTo(400);
        assertThat(api().send(HttpMethod.PUT, "/api/v1/calibrations/" + UUID.randomUUID() + "/active", new HttpHeaders(), null, null)
                .status()).isEqualTo(404);
        assertThat(api().get("/api/v1/calibrations/" + UUID.randomUUID()).status()).isEqualTo(404);
    }

    @Test
    void aPredictionReadBeforeAndAfterActivationKeepsItsRawValuesAndGainsCalibratedOnesOnlyAfter() throws Exception {
        ApiClient api = api();
        LinkedMultiValueMap<String, Object> form = new LinkedMultiValueMap<>();
        form.add("file", ApiClient.filePart(StudyInstances.instance(StudyInstances.newUid(), StudyInstances.newUid(),
                StudyInstances.newUid()), "a.dcm", MediaType.parseMediaType("application/dicom")));
        Answer uploaded = api.post("/api/v1/images", form, ApiClient.header("Prefer", "wait=120"));
        assertThat(uploaded.status()).isEqualTo(201);
        String predictionId = uploaded.body().path("images").path(0).path("predictions").path(0).path("id").asString();
        JsonNode before = api.get("/api/v1/predictions/" + predictionId).body();
        assertThat(before.has("calibratedProbabilities")).isFalse();
        assertThat(before.has("calibrationId")).isFalse();
        assertThat(api.getText("/api/v1/predictions/" + predictionId + "/fhir", new HttpHeaders()).body())
                .doesNotContain("probability-calibration");

        String first = fit(cohort("")).body().path("id").asString();
        String second = fit(cohort("")).body().path("id").asString();
        try {
            api.send(HttpMethod.PUT, "/api/v1/calibrations/" + first + "/active", new HttpHeaders(), null, null);
            assertThat(api.send(HttpMethod.PUT, "/api/v1/calibrations/" + second + "/active", new HttpHeaders(), null, null).body()
                    .path("active").asBoolean()).isTrue();
            assertThat(api.get("/api/v1/calibrations/" + first).body().path("active").asBoolean())
                    .as("one active calibration per model version").isFalse();

            JsonNode after = api.get("/api/v1/predictions/" + predictionId).body();
            for (String raw : List.of("probabilities", "subTaskScores", "confidence", "predictedClass", "foldSpread",
                    "createdAt")) {
                assertThat(after.path(raw)).as(raw + " unchanged").isEqualTo(before.path(raw));
            }
            assertThat(after.path("calibrationId").asString()).isEqualTo(second);
            double sum = 0;
            double[] calibrated = new double[4];
            for (int k = 0; k < 4; k++) {
                calibrated[k] = after.path("calibratedProbabilities").path("CVX" + k).asDouble();
                sum += calibrated[k];
            }
            assertThat(sum).isCloseTo(1, within(1e-9));
            assertThat(CalibrationQuality.argmax(calibrated)).isEqualTo(after.path("predictedClass").path("index").asInt());
            assertThat(after.path("calibratedSubTaskScores").path("CVX03vs12").asDouble())
                    .isCloseTo(calibrated[1] + calibrated[2], within(1e-12));
            assertThat(after.path("calibratedProbabilities")).isNotEqualTo(after.path("probabilities"));

            // FHIR: a calibrated component beside each raw value, which stays Observation.value.
            String fhir = api.getText("/api/v1/predictions/" + predictionId + "/fhir", new HttpHeaders()).body();
            assertThat(fhir).contains("urn:chestlens:fhir:CodeSystem:probability-calibration", second);
            // The DICOM SR: calibrated numeric items beside the raw ones, still valid.
            ApiClient.BytesAnswer sr = api.getBytes("/api/v1/predictions/" + predictionId + "/dicom-sr",
                    ApiClient.header("Accept", "application/dicom"));
            assertThat(sr.status()).isEqualTo(200);
            String srText = new String(sr.body(), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertThat(srText).contains("CALCVX0P", "CALCVX03vs12", "CVX0P", second);
            Dciodvfy.Report report = Dciodvfy.check(sr.body(), "calibrated-sr");
            assertThat(report.errors()).as(report.output()).isEmpty();

            // A new prediction made while the calibration is active carries it inline.
            JsonNode fresh = api.upload(ApiClient.header("Prefer", "wait=120"),
                    org.chestlens.TestImages.syntheticPng(9301, 400, 380)).body().path("images").path(0)
                    .path("predictions").path(0);
            assertThat(fresh.path("calibrationId").asString()).isEqualTo(second);
            assertThat(fresh.path("calibratedProbabilities").size()).isEqualTo(4);
        } finally {
            api.delete("/api/v1/calibrations/" + second + "/active");
        }
        JsonNode again = api.get("/api/v1/predictions/" + predictionId).body();
        assertThat(again.has("calibratedProbabilities")).isFalse();
        assertThat(again.path("probabilities")).isEqualTo(before.path("probabilities"));
    }
}
