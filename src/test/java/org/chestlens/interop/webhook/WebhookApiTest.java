package org.chestlens.interop.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpMethod;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Webhooks end to end: the real service (shared test context, real model, real PostgreSQL) and a
 * real HTTP receiver on a local port. The test profile shortens backoff and polling
 * (application-test.properties).
 */
@ChestlensIntegrationTest
class WebhookApiTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration ARRIVAL = Duration.ofSeconds(30);

    @LocalServerPort
    int port;
    @Autowired
    JdbcClient jdbc;

    ApiClient api;
    WebhookReceiver receiver;
    final List<String> subscriptions = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        api = new ApiClient(port);
        receiver = WebhookReceiver.listen(0);
    }

    @AfterEach
    void unsubscribe() {
        // Subscriptions are global: left behind, they would get every other test's events.
        subscriptions.forEach(id -> api.delete("/api/v1/webhooks/" + id));
        receiver.close();
    }

    private Answer subscribe(String json) {
        Answer answer = api.sendJson(HttpMethod.POST, "/api/v1/webhooks", json);
        if (answer.status() == 201) {
            subscriptions.add(answer.body().path("id").asString());
        }
        return answer;
    }

    @Test
    void aSignedDeliveryWithTheResultArrivesAfterAnUpload() throws Exception {
        String secret = WebhookReceiver.newSecret();
        Answer created = subscribe("""
                {"url": "%s", "secret": "%s", "eventTypes": ["prediction.completed"], "description": "test engine"}"""
                .formatted(receiver.url(), secret));
        assertThat(created.status()).isEqualTo(201);
        String subscription = created.body().path("id").asString();
        assertThat(created.headers().getLocation()).hasToString("/api/v1/webhooks/" + subscription);
        assertThat(created.body().path("secret").asString()).isEqualTo(secret);
        assertThat(created.body().path("eventTypes").get(0).asString()).isEqualTo("prediction.completed");

        // The secret is shown once: never again, not in the list, not in the single view.
        Answer one = api.get("/api/v1/webhooks/" + subscription);
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.body().has("secret")).isFalse();
        assertThat(one.body().path("url").asString()).isEqualTo(receiver.url());
        assertThat(one.body().path("active").asBoolean()).isTrue();
        Answer all = api.get("/api/v1/webhooks");
        assertThat(all.status()).isEqualTo(200);
        assertThat(all.body().toString()).contains(subscription).doesNotContain(secret);

        Answer upload = api.upload(ApiClient.header("Prefer", "wait=30"), TestImages.syntheticPng(7001, 300, 320));
        assertThat(upload.status()).isEqualTo(201);
        JsonNode image = upload.body().path("images").path(0);
        String imageId = image.path("id").asString();
        JsonNode prediction = image.path("predictions").path(0);
        String predictionId = prediction.path("id").asString();

        List<WebhookReceiver.Received> got = receiver.await(r -> r.body().contains(imageId), 1, ARRIVAL);
        assertThat(got).as("deliveries for image " + imageId).hasSize(1);
        WebhookReceiver.Received delivery = got.get(0);
        assertThat(WebhookReceiver.signatureValid(secret, delivery)).as("signature").isTrue();
        assertThat(WebhookReceiver.signatureValid(WebhookReceiver.newSecret(), delivery)).isFalse();
        assertThat(WebhookReceiver.timestampFresh(delivery)).isTrue();
        assertThat(delivery.contentType()).startsWith("application/json");

        JsonNode payload = JSON.readTree(delivery.body());
        assertThat(payload.path("id").asString()).isEqualTo(delivery.id());
        assertThat(payload.path("type").asString()).isEqualTo("prediction.completed");
        assertThat(payload.path("timestamp").asString()).isEqualTo(prediction.path("createdAt").asString());
        JsonNode data = payload.path("data");
        assertThat(data.path("imageId").asString()).isEqualTo(imageId);
        assertThat(data.path("predictionId").asString()).isEqualTo(predictionId);
        assertThat(data.path("predictedClass")).isEqualTo(prediction.path("predictedClass"));
        assertThat(data.path("probabilities")).isEqualTo(prediction.path("probabilities"));
        assertThat(data.path("confidence").asDouble()).isEqualTo(prediction.path("confidence").asDouble());
        assertThat(data.path("model").path("id").asString()).isEqualTo(prediction.path("model").path("id").asString());
        assertThat(data.path("notice").asString()).isEqualTo(prediction.path("notice").asString());
        // The demo package ships out-of-distribution statistics and operating points: the event carries both.
        assertThat(data.path("outOfDistribution").path("threshold").isNumber()).isTrue();
        assertThat(data.path("outOfDistribution")).isEqualTo(prediction.path("outOfDistribution"));
        assertThat(data.path("flags")).isEqualTo(prediction.path("flags"));
        assertThat(data.path("links").path("prediction").asString()).isEqualTo("/api/v1/predictions/" + predictionId);
        assertThat(data.path("links").path("fhir").asString()).isEqualTo("/api/v1/predictions/" + predictionId + "/fhir");
        assertThat(data.path("links").path("image").asString()).isEqualTo("/api/v1/images/" + imageId);
        assertThat(api.get(data.path("links").path("prediction").asString()).body().path("id").asString())
                .isEqualTo(predictionId);
        assertThat(delivery.body()).doesNotContainIgnoringCase("patient");

        JsonNode log = awaitDelivery(subscription, delivery.id(), "DELIVERED");
        assertThat(log.path("eventType").asString()).isEqualTo("prediction.completed");
        assertThat(log.path("attempts").asInt()).isEqualTo(1);
        assertThat(log.path("attemptLog")).hasSize(1);
        assertThat(log.path("attemptLog").get(0).path("statusCode").asInt()).isEqualTo(200);
        assertThat(log.path("attemptLog").get(0).path("durationMs").asDouble()).isPositive();
    }

    @Test
    void aReceiverAnswering500TwiceGetsThreeAttemptsAllLogged() throws Exception {
        String secret = WebhookReceiver.newSecret();
        String subscription = subscribe("""
                {"url": "%s", "secret": "%s"}""".formatted(receiver.url(), secret)).body().path("id").asString();
        receiver.failEachEvent(2, 500);

        Answer upload = api.upload(ApiClient.header("Prefer", "respond-async"), TestImages.syntheticPng(7002, 300, 320));
        assertThat(upload.status()).isEqualTo(202);
        String imageId = upload.body().path("images").path(0).path("id").asString();

        List<WebhookReceiver.Received> got = receiver.await(r -> r.body().contains(imageId), 3, ARRIVAL);
        assertThat(got).hasSize(3);
        for (WebhookReceiver.Received attempt : got) {
            assertThat(WebhookReceiver.signatureValid(secret, attempt)).isTrue();
            assertThat(attempt.id()).isEqualTo(got.get(0).id());     // webhook-id is the same on every retry
            assertThat(attempt.body()).isEqualTo(got.get(0).body()); // and so are the bytes signed
        }

        JsonNode delivery = awaitDelivery(subscription, got.get(0).id(), "DELIVERED");
        assertThat(delivery.path("attempts").asInt()).isEqualTo(3);
        assertThat(delivery.path("nextAttemptAt").isNull()).isTrue();
        assertThat(delivery.path("finishedAt").isNull()).isFalse();
        JsonNode attempts = delivery.path("attemptLog");
        assertThat(attempts).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(attempts.get(i).path("attempt").asInt()).isEqualTo(i + 1);
            assertThat(attempts.get(i).path("attemptedBy").asString()).isNotBlank();
        }
        assertThat(attempts.get(0).path("statusCode").asInt()).isEqualTo(500);
        assertThat(attempts.get(0).path("error").asString()).isEqualTo("HTTP 500");
        assertThat(attempts.get(1).path("statusCode").asInt()).isEqualTo(500);
        assertThat(attempts.get(2).path("statusCode").asInt()).isEqualTo(200);
        assertThat(attempts.get(2).path("error").isNull()).isTrue();
    }

    @Test
    void aBadSubscriptionIsA400Problem() {
        String secret = WebhookReceiver.newSecret();
        for (String body : List.of(
                "{\"url\": \"ftp://engine.example/x\"}",
                "{\"url\": \"http://169.254.169.254/latest/meta-data/\"}", // a cloud metadata service
                "{\"url\": \"http://0.0.0.0:8080/\"}",
                "{\"url\": \"/relative/path\"}",
                "{\"url\": \"http://exa mple.com/\"}",
                "{\"url\": \"https://user:password@engine.example/hook\"}",
                "{\"url\": \"mailto:someone@example.com\"}",
                "{\"url\": \"\"}",
                "{\"description\": \"no url\"}",
                "{\"url\": \"https://engine.example/hook\", \"eventTypes\": [\"image.deleted\"]}",
                "{\"url\": \"https://engine.example/hook\", \"secret\": \"hunter2\"}",
                "{\"url\": \"https://engine.example/hook\", \"secret\": \"whsec_c2hvcnQ=\"}",
                "{\"url\": \"https://engine.example/hook\", \"secret\": \"" + secret + "\", \"description\": \""
                        + "x".repeat(501) + "\"}",
                "{\"url\": ")) {
            Answer answer = subscribe(body);
            assertThat(answer.status()).as(body).isEqualTo(400);
            assertThat(answer.contentType()).as(body).startsWith("application/problem+json");
            if (!body.equals("{\"url\": ")) {
                assertThat(answer.body().path("type").asString()).as(body).isEqualTo("urn:chestlens:problem:invalid-webhook");
                assertThat(answer.body().path("detail").asString()).as(body).doesNotContain(secret);
            }
        }
        assertThat(jdbc.sql("SELECT count(*) FROM webhook_subscription WHERE url LIKE '%engine.example%'")
                .query(Long.class).single()).isZero();
    }

    @Test
    void aSubscriptionCanBePausedAndDeleted() {
        Answer created = subscribe("{\"url\": \"" + receiver.url() + "\"}");
        assertThat(created.status()).isEqualTo(201);
        String id = created.body().path("id").asString();
        assertThat(created.body().path("secret").asString()).startsWith("whsec_"); // generated
        assertThat(created.body().path("eventTypes")).hasSize(2);

        Answer paused = api.sendJson(HttpMethod.PATCH, "/api/v1/webhooks/" + id, "{\"active\": false}");
        assertThat(paused.status()).isEqualTo(200);
        assertThat(paused.body().path("active").asBoolean()).isFalse();
        assertThat(paused.body().has("secret")).isFalse();

        assertThat(api.delete("/api/v1/webhooks/" + id).status()).isEqualTo(204);
        assertThat(api.get("/api/v1/webhooks/" + id).status()).isEqualTo(404);
        assertThat(api.get("/api/v1/webhooks/" + id + "/deliveries").status()).isEqualTo(404);
        assertThat(api.delete("/api/v1/webhooks/" + id).status()).isEqualTo(404);
        assertThat(api.get("/api/v1/webhooks/" + UUID.randomUUID()).status()).isEqualTo(404);
    }

    /** The subscription's delivery of this event, once it has the status, from the delivery log endpoint. */
    private JsonNode awaitDelivery(String subscription, String eventId, String status) throws InterruptedException {
        long deadline = System.nanoTime() + ARRIVAL.toNanos();
        JsonNode log = null;
        while (System.nanoTime() < deadline) {
            Answer answer = api.get("/api/v1/webhooks/" + subscription + "/deliveries");
            assertThat(answer.status()).isEqualTo(200);
            log = answer.body();
            for (JsonNode delivery : log.path("items")) {
                if (delivery.path("eventId").asString().equals(eventId)
                        && delivery.path("status").asString().equals(status)) {
                    return delivery;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("delivery of event " + eventId + " not " + status + " in time: " + log);
    }
}
