package org.chestlens.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.chestlens.ApiClient;
import org.chestlens.ApiClient.Answer;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * A synchronous upload without an Idempotency-Key keeps its model input in memory while its client waits, and the
 * input reaches the database before anything could need it there: when the client is answered 202 at its
 * deadline, and when the batcher stops with the job unscored. The model's batcher is stopped for the test, so no
 * job is scored before the test lets it.
 */
@ChestlensIntegrationTest
class HeldInputTest {

    @LocalServerPort
    int port;
    @Autowired
    InferenceService inference;
    @Autowired
    JdbcClient jdbc;

    @Test
    void aHeldInputIsStoredBeforeA202AndWhenTheBatcherStops() throws Exception {
        ApiClient api = new ApiClient(port);
        long seed = System.nanoTime();
        byte[] answeredLater = TestImages.syntheticPng(seed, 256, 256);
        byte[] waiting = TestImages.syntheticPng(seed + 1, 256, 256);
        byte[] async = TestImages.syntheticPng(seed + 2, 256, 256);
        MicroBatcher batcher = inference.batchers().get(inference.defaultModel().id());
        batcher.stop();
        CompletableFuture<Answer> waitingAnswer = null;
        try {
            // Not scored within its wait: answered 202, its input stored first.
            Answer accepted = api.upload(ApiClient.header("Prefer", "wait=1"), answeredLater);
            assertThat(accepted.status()).as(accepted.body().toString()).isEqualTo(202);
            assertThat(job(answeredLater)).containsEntry("status", "QUEUED").containsEntry("stored", true);

            // Asynchronous: stored when accepted.
            assertThat(api.upload(ApiClient.header("Prefer", "respond-async"), async).status()).isEqualTo(202);
            assertThat(job(async)).containsEntry("stored", true);

            // Waiting: held in memory only, until the batcher stops with the job unscored.
            waitingAnswer = CompletableFuture.supplyAsync(
                    () -> api.upload(ApiClient.header("Prefer", "wait=120"), waiting));
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (job(waiting).isEmpty() && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertThat(job(waiting)).as("held while its client waits")
                    .containsEntry("status", "QUEUED").containsEntry("stored", false);
            batcher.stop();
            assertThat(job(waiting)).as("stored by the stopping batcher").containsEntry("stored", true);
        } finally {
            batcher.start();
        }
        // Started again, the batcher scores what it held: the waiting client gets its result.
        Answer scored = waitingAnswer.get(2, TimeUnit.MINUTES);
        assertThat(scored.status()).as(scored.body().toString()).isEqualTo(201);
        assertThat(scored.body().path("images").path(0).path("predictions").path(0).path("probabilities").isObject())
                .isTrue();
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!"DONE".equals(job(answeredLater).get("status")) && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        assertThat(job(answeredLater)).containsEntry("status", "DONE").containsEntry("stored", false);
        assertThat(job(waiting)).containsEntry("status", "DONE").containsEntry("stored", false);
    }

    /** The job of the image with these bytes: its status and whether its input is in the database; empty if none. */
    private Map<String, Object> job(byte[] image) throws Exception {
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(image));
        return jdbc.sql("""
                        SELECT j.status, j.input IS NOT NULL AS stored FROM inference_job j JOIN image i ON i.id = j.image_id
                        WHERE i.sha256 = :sha256""")
                .param("sha256", sha256).query().listOfRows().stream().findFirst().orElse(Map.of());
    }
}
