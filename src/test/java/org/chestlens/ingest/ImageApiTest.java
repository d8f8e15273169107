package org.chestlens.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.chestlens.TestSecurity;
import org.chestlens.platform.security.Role;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

@ChestlensIntegrationTest
class ImageApiTest {

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    ApiClient api;

    @BeforeEach
    void client() {
        api = new ApiClient(port);
    }

    @Test
    void uploadScoresTheImageAndStoresWhatItAnswered() {
        byte[] png = TestImages.syntheticPng(101, 640, 720);

        Answer answer = api.upload(png);

        assertThat(answer.status()).isEqualTo(201);
        JsonNode image = answer.body().path("images").path(0);
        assertThat(answer.headers().getLocation()).hasToString("/api/v1/images/" + image.path("id").asString());
        assertThat(image.path("location").asString()).isEqualTo("/api/v1/images/" + image.path("id").asString());
        assertThat(image.path("status").asString()).isEqualTo("DONE");
        assertThat(image.path("sha256").asString()).isEqualTo(IngestService.sha256(png));
        assertThat(image.path("format").asString()).isEqualTo("PNG");
        assertThat(image.path("width").asInt()).isEqualTo(640);
        assertThat(image.path("height").asInt()).isEqualTo(720);
        JsonNode prediction = image.path("predictions").path(0);
        double sum = 0;
        for (String code : new String[] {"CVX0", "CVX1", "CVX2", "CVX3"}) {
            double p = prediction.path("probabilities").path(code).asDouble(-1);
            assertThat(p).isBetween(0.0, 1.0);
            sum += p;
        }
        assertThat(sum).isCloseTo(1.0, within(1e-6));
        String predictedCode = prediction.path("predictedClass").path("code").asString();
        assertThat(predictedCode).matches("CVX[0-3]");
        assertThat(prediction.path("confidence").asDouble())
                .isEqualTo(prediction.path("probabilities").path(predictedCode).asDouble());
        JsonNode scores = prediction.path("subTaskScores");
        assertThat(scores.path("CVX03vs12").asDouble()).isCloseTo(
                prediction.path("probabilities").path("CVX1").asDouble()
                        + prediction.path("probabilities").path("CVX2").asDouble(), within(1e-12));
        assertThat(scores.has("CVX0vs3")).isTrue();
        assertThat(scores.has("CVX1vs2")).isTrue();
        assertThat(prediction.path("model").path("id").asString()).isEqualTo("chestlens-demo-densenet121");
        assertThat(prediction.path("model").path("version").asString()).isNotBlank();
        assertThat(prediction.path("model").path("trained").asBoolean(false)).isTrue();
        assertThat(prediction.path("model").path("foldChecksums")).hasSizeGreaterThanOrEqualTo(1);
        // The package's own notice travels with every prediction.
        assertThat(prediction.path("notice").asString()).contains("DEMONSTRATION MODEL");
        assertThat(prediction.path("timings").path("inferenceMs").asDouble()).isPositive();

        // What PostgreSQL holds is what the client was told.
        Map<String, Object> row = jdbc.sql("""
                        SELECT p.p_cvx0, p.p_cvx1, p.p_cvx2, p.p_cvx3, p.predicted_class, p.score_cvx03vs12,
                               m.model_id, i.sha256, i.width
                        FROM prediction p JOIN image i ON i.id = p.image_id JOIN model_version m ON m.id = p.model_version_id
                        WHERE p.id = :id""")
                .param("id", java.util.UUID.fromString(prediction.path("id").asString()))
                .query().singleRow();
        assertThat((Double) row.get("p_cvx1")).isEqualTo(prediction.path("probabilities").path("CVX1").asDouble());
        assertThat((Double) row.get("p_cvx3")).isEqualTo(prediction.path("probabilities").path("CVX3").asDouble());
        assertThat(((Number) row.get("predicted_class")).intValue())
                .isEqualTo(prediction.path("predictedClass").path("index").asInt());
        assertThat(row.get("sha256")).isEqualTo(IngestService.sha256(png));
        assertThat(row.get("model_id")).isEqualTo("chestlens-demo-densenet121");

        Answer fetched = api.get("/api/v1/images/" + image.path("id").asString());
        assertThat(fetched.status()).isEqualTo(200);
        assertThat(fetched.body()).isEqualTo(image);
        Answer byId = api.get("/api/v1/predictions/" + prediction.path("id").asString());
        assertThat(byId.body()).isEqualTo(prediction);
    }

    @Test
    void theSameBytesAreTheSameImage() {
        byte[] png = TestImages.syntheticPng(202, 300, 300);
        Answer first = api.upload(png);
        Answer second = api.upload(png);

        assertThat(first.status()).isEqualTo(201);
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.body().path("images").path(0)).isEqualTo(first.body().path("images").path(0));
        assertThat(jdbc.sql("SELECT count(*) FROM image WHERE sha256 = :sha").param("sha", IngestService.sha256(png))
                .query(Long.class).single()).isEqualTo(1L);
        assertThat(jdbc.sql("SELECT count(*) FROM prediction p JOIN image i ON i.id = p.image_id WHERE sha256 = :sha")
                .param("sha", IngestService.sha256(png)).query(Long.class).single()).isEqualTo(1L);
    }

    @Test
    void severalFilesInOneRequestAreScoredInOrder() {
        byte[] a = TestImages.syntheticPng(301, 256, 300);
        byte[] b = TestImages.syntheticPng(302, 400, 256);
        byte[] c = TestImages.syntheticPng(303, 500, 500);

        Answer answer = api.upload(a, b, c);

        assertThat(answer.status()).isEqualTo(201);
        assertThat(answer.body().path("images")).hasSize(3);
        assertThat(answer.body().path("images").path(0).path("sha256").asString()).isEqualTo(IngestService.sha256(a));
        assertThat(answer.body().path("images").path(1).path("width").asInt()).isEqualTo(400);
        assertThat(answer.body().path("images").path(2).path("sha256").asString()).isEqualTo(IngestService.sha256(c));
        // Distinct images through the same model get distinct outputs.
        assertThat(answer.body().path("images").path(0).path("predictions").path(0).path("probabilities"))
                .isNotEqualTo(answer.body().path("images").path(2).path("predictions").path(0).path("probabilities"));
    }

    @Test
    void sixteenBitGreyAndColourPngsAreAccepted() {
        Answer grey16 = api.upload(TestImages.reference("grey16-640x512.png"));
        Answer rgb = api.upload(TestImages.reference("rgb-400x300.png"));

        // Fixed reference files: a persistent test database may have them already (200).
        assertThat(grey16.status()).isIn(200, 201);
        assertThat(grey16.body().path("images").path(0).path("bitDepth").asInt()).isEqualTo(16);
        assertThat(grey16.body().path("images").path(0).path("colourType").asString()).isEqualTo("GREY");
        assertThat(rgb.status()).isIn(200, 201);
        assertThat(rgb.body().path("images").path(0).path("colourType").asString()).isEqualTo("RGB");
    }

    @Test
    void respondAsyncAnswers202AndTheImageCanBePolledUntilDone() throws InterruptedException {
        byte[] png = TestImages.syntheticPng(501, 300, 320);

        Answer accepted = api.upload(ApiClient.header("Prefer", "respond-async"), png);

        assertThat(accepted.status()).isEqualTo(202);
        assertThat(accepted.headers().getFirst("Preference-Applied")).isEqualTo("respond-async");
        JsonNode image = accepted.body().path("images").path(0);
        assertThat(image.path("status").asString()).isIn("QUEUED", "RUNNING", "DONE");
        String location = accepted.headers().getLocation().toString();
        assertThat(location).isEqualTo(image.path("location").asString());
        // The job was committed before the answer: it is in the database already.
        assertThat(jdbc.sql("SELECT count(*) FROM inference_job WHERE image_id = :id")
                .param("id", java.util.UUID.fromString(image.path("id").asString())).query(Long.class).single())
                .isEqualTo(1L);

        Answer polled = api.get(location);
        for (int i = 0; i < 300 && !polled.body().path("status").asString().equals("DONE"); i++) {
            Thread.sleep(100);
            polled = api.get(location);
        }
        assertThat(polled.body().path("status").asString()).isEqualTo("DONE");
        assertThat(polled.body().path("predictions")).hasSize(1);
        assertThat(polled.body().path("jobs").path(0).path("attempts").asInt()).isZero();
        // Inputs are dropped once the job is done (retention is off by default).
        assertThat(jdbc.sql("SELECT input IS NULL FROM inference_job WHERE image_id = :id")
                .param("id", java.util.UUID.fromString(image.path("id").asString())).query(Boolean.class).single())
                .isTrue();
    }

    @Test
    void preferWaitReturnsTheFinishedResultInline() {
        Answer answer = api.upload(ApiClient.header("Prefer", "wait=30"), TestImages.syntheticPng(502, 280, 300));

        assertThat(answer.status()).isEqualTo(201);
        assertThat(answer.headers().getFirst("Preference-Applied")).isEqualTo("wait=30");
        assertThat(answer.body().path("images").path(0).path("predictions")).hasSize(1);
    }

    @Test
    void aMalformedPreferenceIsIgnored() {
        // RFC 7240: a preference not understood is ignored; ";" once split into nothing and answered 500.
        Answer answer = api.upload(ApiClient.header("Prefer", ";, ;;, wait=30"), TestImages.syntheticPng(504, 280, 290));

        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(201);
        assertThat(answer.headers().getFirst("Preference-Applied")).isEqualTo("wait=30");
        assertThat(ImageUploadController.preferences(";")).isEmpty();
        assertThat(ImageUploadController.preferences(" respond-async ; x=1,,Wait = 5")).containsExactly("respond-async", "wait=5");
    }

    @Test
    void anIdempotencyKeyReturnsTheFirstRequestsImagesToTheSameRequestOnly() {
        String key = "order-" + System.nanoTime();
        byte[] film = TestImages.syntheticPng(503, 270, 270);
        Answer first = api.upload(ApiClient.header("Idempotency-Key", key), film);
        Answer retry = api.upload(ApiClient.header("Idempotency-Key", key), film);
        // The key sent again with another file: not answered with the first image, which would drop this one.
        Answer another = api.upload(ApiClient.header("Idempotency-Key", key), TestImages.syntheticPng(504, 270, 270));

        assertThat(first.status()).isEqualTo(201);
        assertThat(retry.status()).isEqualTo(200);
        assertThat(retry.body().path("images").path(0).path("id"))
                .isEqualTo(first.body().path("images").path(0).path("id"));
        assertThat(another.status()).as(another.body().toString()).isEqualTo(422);
        assertThat(another.contentType()).startsWith("application/problem+json");
        assertThat(another.body().path("type").asString()).isEqualTo("urn:chestlens:problem:idempotency-key-reused");
        assertThat(jdbc.sql("SELECT count(*) FROM image WHERE sha256 = :sha")
                .param("sha", IngestService.sha256(TestImages.syntheticPng(504, 270, 270))).query(Long.class).single())
                .isZero();

        // The key belongs to its caller: another caller using it uploads its own image.
        ApiClient other = new ApiClient(port, TestSecurity.roles(Role.SUBMITTER));
        Answer otherCaller = other.upload(ApiClient.header("Idempotency-Key", key), TestImages.syntheticPng(506, 270, 270));
        assertThat(otherCaller.status()).isEqualTo(201);
        assertThat(otherCaller.body().path("images").path(0).path("id"))
                .isNotEqualTo(first.body().path("images").path(0).path("id"));
    }

    @Test
    void metricsAreExposedForPrometheus() {
        api.upload(TestImages.syntheticPng(505, 260, 280));
        ApiClient.Answer metrics = api.get("/actuator/metrics/chestlens.inference.batch.size");
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.body().path("measurements").path(0).path("value").asDouble()).isPositive();
        String prometheus = org.springframework.web.client.RestClient.create("http://localhost:" + port)
                .get().uri("/actuator/prometheus").headers(h -> h.addAll(TestSecurity.allRoles())).retrieve().body(String.class);
        assertThat(prometheus).contains("chestlens_inference_queue_depth", "chestlens_inference_batch_size",
                "chestlens_inference_queue_wait", "chestlens_inference_batch_duration", "chestlens_inference_images",
                "chestlens_inference_rejections", "chestlens_inference_throughput");
    }

    @Test
    void predictionsCanBeFilteredAndPagedWithACursor() {
        // This test's own time window: the shared test database holds other tests' predictions too.
        Instant from = Instant.now();
        for (int i = 0; i < 3; i++) {
            assertThat(api.upload(TestImages.syntheticPng(400 + i, 260, 260)).status()).isEqualTo(201);
        }
        String window = "&createdFrom=" + from + "&createdTo=" + Instant.now();

        Answer all = api.get("/api/v1/predictions?limit=500" + window);
        assertThat(all.status()).isEqualTo(200);
        int total = all.body().path("items").size();
        assertThat(total).isGreaterThanOrEqualTo(3);

        Set<String> seen = new HashSet<>();
        String cursor = null;
        int pages = 0;
        do {
            Answer page = api.get("/api/v1/predictions?limit=2" + window + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.body().path("items").size()).isLessThanOrEqualTo(2);
            page.body().path("items").forEach(item -> assertThat(seen.add(item.path("id").asString())).isTrue());
            cursor = page.body().path("nextCursor").isMissingNode() ? null : page.body().path("nextCursor").asString();
            pages++;
        } while (cursor != null && pages < 1000);
        assertThat(seen).hasSize(total);

        String someClass = all.body().path("items").path(0).path("predictedClass").path("code").asString();
        Answer byClass = api.get("/api/v1/predictions?limit=500&predictedClass=" + someClass + window);
        assertThat(byClass.body().path("items")).isNotEmpty()
                .allSatisfy(item -> assertThat(item.path("predictedClass").path("code").asString()).isEqualTo(someClass));

        // Bounds half-way between the window's lowest two and highest two CVX0 probabilities: the answer must be
        // exactly the predictions in between, which leaves out at least the lowest and the highest.
        List<Double> cvx0 = new ArrayList<>();
        all.body().path("items").forEach(item -> cvx0.add(item.path("probabilities").path("CVX0").asDouble()));
        Collections.sort(cvx0);
        double min = (cvx0.get(0) + cvx0.get(1)) / 2;
        double max = (cvx0.get(total - 2) + cvx0.get(total - 1)) / 2;
        Set<String> between = new HashSet<>();
        all.body().path("items").forEach(item -> {
            double p = item.path("probabilities").path("CVX0").asDouble();
            if (p >= min && p <= max) {
                between.add(item.path("id").asString());
            }
        });
        assertThat(between).as("CVX0 probabilities of the window %s", cvx0).isNotEmpty().hasSizeLessThan(total);
        Answer confident = api.get("/api/v1/predictions?limit=500&probabilityOf=CVX0&minProbability=" + min
                + "&maxProbability=" + max + window);
        assertThat(confident.status()).isEqualTo(200);
        Set<String> answered = new HashSet<>();
        confident.body().path("items").forEach(item -> answered.add(item.path("id").asString()));
        assertThat(answered).isEqualTo(between);
        Answer none = api.get("/api/v1/predictions?createdFrom=2000-01-01T00:00:00Z&createdTo=2000-01-02T00:00:00Z");
        assertThat(none.body().path("items")).isEmpty();
        Answer later = api.get("/api/v1/predictions?limit=500&createdFrom=" + from);
        assertThat(later.body().path("items").size()).isGreaterThanOrEqualTo(total);
    }

    @Test
    void badQueryParametersAreProblems() {
        Answer badClass = api.get("/api/v1/predictions?predictedClass=CVX9");
        Answer badCursor = api.get("/api/v1/predictions?cursor=not-a-cursor");
        Answer badLimit = api.get("/api/v1/predictions?limit=0");
        Answer unknownImage = api.get("/api/v1/images/00000000-0000-0000-0000-000000000000");
        Answer notAUuid = api.get("/api/v1/images/abc");

        assertThat(badClass.status()).isEqualTo(400);
        assertThat(badCursor.status()).isEqualTo(400);
        assertThat(badLimit.status()).isEqualTo(400);
        assertThat(unknownImage.status()).isEqualTo(404);
        assertThat(notAUuid.status()).isEqualTo(400);
        for (Answer a : new Answer[] {badClass, badCursor, badLimit, unknownImage, notAUuid}) {
            assertThat(a.contentType()).startsWith("application/problem+json");
        }
    }

    @Test
    void modelsListTheServedDemonstrationModel() {
        Answer models = api.get("/api/v1/models");
        assertThat(models.status()).isEqualTo(200);
        JsonNode model = models.body().path(0);
        assertThat(model.path("id").asString()).isEqualTo("chestlens-demo-densenet121");
        assertThat(model.path("trained").asBoolean(false)).isTrue();
        assertThat(model.path("notice").asString()).contains("DEMONSTRATION MODEL");
        assertThat(model.path("folds")).hasSize(3);
        assertThat(model.path("isDefault").asBoolean()).isTrue();
        assertThat(model.path("folds").path(0).path("sha256").asString()).hasSize(64);
        assertThat(api.get("/api/v1/models/nope").status()).isEqualTo(404);
    }

    @Test
    void readinessIncludesTheWarmedUpModel() {
        Answer readiness = api.get("/actuator/health/readiness");
        assertThat(readiness.status()).isEqualTo(200);
        assertThat(readiness.body().path("status").asString()).isEqualTo("UP");
        assertThat(readiness.body().path("components").path("model").path("details").path("trained").asBoolean(false))
                .isTrue();
    }

}
