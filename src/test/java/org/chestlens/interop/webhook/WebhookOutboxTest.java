package org.chestlens.interop.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.chestlens.ApiClient;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.prediction.ChestClass;
import org.chestlens.prediction.JobResult;
import org.chestlens.prediction.JobStatus;
import org.chestlens.prediction.JobStore;
import org.chestlens.prediction.ModelVersionRegistry;
import org.chestlens.prediction.NewImage;
import org.chestlens.prediction.NewPrediction;
import org.chestlens.prediction.PendingImage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpMethod;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The outbox's transactional promise, driven through the real JobStore: an event is written with
 * the result it announces, or not at all. The jobs belong to a model version no replica serves, so
 * the running service never touches them.
 */
@ChestlensIntegrationTest
class WebhookOutboxTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String OWNER = "outbox-test";

    @LocalServerPort
    int port;
    @Autowired
    JobStore jobs;
    @Autowired
    ModelVersionRegistry modelVersions;
    @Autowired
    TransactionTemplate transactions;
    @Autowired
    JdbcClient jdbc;

    ApiClient api;
    WebhookReceiver receiver;
    String modelId;
    final List<String> subscriptions = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        api = new ApiClient(port);
        receiver = WebhookReceiver.listen(0);
        modelId = "outbox-test-" + UUID.randomUUID();
        modelVersions.register(new ModelVersionRegistry.ModelVersionSpec(modelId, "1", true, "softmax4",
                List.of("0".repeat(64)), null));
    }

    @AfterEach
    void tearDown() {
        subscriptions.forEach(id -> api.delete("/api/v1/webhooks/" + id));
        receiver.close();
    }

    private String subscribe(String secret, String eventType) {
        ApiClient.Answer answer = api.sendJson(HttpMethod.POST, "/api/v1/webhooks", """
                {"url": "%s", "secret": "%s", "eventTypes": ["%s"]}""".formatted(receiver.url(), secret, eventType));
        assertThat(answer.status()).isEqualTo(201);
        subscriptions.add(answer.body().path("id").asString());
        return answer.body().path("id").asString();
    }

    private JobStore.Accepted acceptOne() {
        NewImage image = new NewImage(UUID.randomUUID().toString().replace("-", "").repeat(2), "PNG", 100, 2, 2, 8,
                "GREY", List.of());
        return jobs.accept(List.of(new PendingImage(image, new float[4], 2, 2, 1.0)), modelId, "1", OWNER,
                Duration.ofMinutes(10), null).get(0);
    }

    private long eventsFor(UUID imageId) {
        return jdbc.sql("SELECT count(*) FROM webhook_event WHERE payload LIKE :image")
                .param("image", "%" + imageId + "%").query(Long.class).single();
    }

    @Test
    void aRolledBackResultIsNeverAnnouncedAndARepeatedOneOnlyOnce() throws Exception {
        String secret = WebhookReceiver.newSecret();
        subscribe(secret, "prediction.completed");
        JobStore.Accepted accepted = acceptOne();
        JobResult result = new JobResult(accepted.job().orElseThrow().jobId(), accepted.imageId(),
                new NewPrediction(modelId, "1", new double[] {0.1, 0.6, 0.2, 0.1}, ChestClass.CVX1, 0.8, 0.5, 0.25,
                        0.6, new double[4], 1, 1, 1, null));

        transactions.executeWithoutResult(status -> {
            jobs.complete(List.of(result), OWNER, false);
            assertThat(eventsFor(accepted.imageId())).as("written inside the transaction").isEqualTo(1);
            status.setRollbackOnly(); // e.g. the commit fails
        });
        assertThat(eventsFor(accepted.imageId())).as("rolled back with the prediction").isZero();

        jobs.complete(List.of(result), OWNER, false);
        jobs.complete(List.of(result), OWNER, false); // a job processed twice stores and announces once
        assertThat(eventsFor(accepted.imageId())).isEqualTo(1);
        List<WebhookReceiver.Received> got = receiver.await(r -> r.body().contains(accepted.imageId().toString()), 1,
                Duration.ofSeconds(20));
        Thread.sleep(1000); // nothing else may follow
        assertThat(receiver.received(r -> r.body().contains(accepted.imageId().toString()))).hasSize(1);
        assertThat(WebhookReceiver.signatureValid(secret, got.get(0))).isTrue();
        JsonNode data = JSON.readTree(got.get(0).body()).path("data");
        assertThat(data.path("predictedClass").path("code").asString()).isEqualTo("CVX1");
        assertThat(data.path("probabilities").path("CVX1").asDouble()).isEqualTo(0.6);
        assertThat(data.has("notice")).isFalse(); // a trained model without a notice of its own
    }

    @Test
    void aJobThatFailsForGoodIsAnnouncedButARetryIsNot() throws Exception {
        String secret = WebhookReceiver.newSecret();
        subscribe(secret, "prediction.failed");
        JobStore.Accepted accepted = acceptOne();
        UUID jobId = accepted.job().orElseThrow().jobId();

        assertThat(jobs.fail(jobId, OWNER, "The model returned a non-finite probability", 2, Duration.ZERO))
                .isEqualTo(JobStatus.QUEUED);
        assertThat(eventsFor(accepted.imageId())).isZero();
        jdbc.sql("UPDATE inference_job SET owner = :owner WHERE id = :id").param("owner", OWNER).param("id", jobId)
                .update(); // as a replica's claim would
        assertThat(jobs.fail(jobId, OWNER, "The model returned a non-finite probability", 2, Duration.ZERO))
                .isEqualTo(JobStatus.FAILED);

        List<WebhookReceiver.Received> got = receiver.await(r -> r.body().contains(accepted.imageId().toString()), 1,
                Duration.ofSeconds(20));
        assertThat(got).hasSize(1);
        assertThat(WebhookReceiver.signatureValid(secret, got.get(0))).isTrue();
        JsonNode payload = JSON.readTree(got.get(0).body());
        assertThat(payload.path("type").asString()).isEqualTo("prediction.failed");
        assertThat(payload.path("data").path("attempts").asInt()).isEqualTo(2);
        assertThat(payload.path("data").path("reason").asString()).isEqualTo("The model returned a non-finite probability");
        assertThat(payload.path("data").path("model").path("id").asString()).isEqualTo(modelId);
        assertThat(payload.path("data").path("links").path("image").asString())
                .isEqualTo("/api/v1/images/" + accepted.imageId());
        assertThat(payload.path("data").path("links").has("prediction")).isFalse();
    }
}
