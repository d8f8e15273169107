package org.chestlens.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import org.chestlens.ApiClient;
import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;

/**
 * A scored batch whose results cannot be committed together is written result by result: the
 * image whose row the database refuses fails alone, the others in its batch are stored, and no
 * image is run through the model a second time. The fault is PostgreSQL's own: a trigger refuses
 * the prediction of one image (by its SHA-256), as a constraint or a lost row would.
 */
@ChestlensIntegrationTest
@TestPropertySource(properties = {"chestlens.inference.max-batch-size=2", "chestlens.inference.max-batch-delay=2s",
        "chestlens.inference.max-attempts=1"})
class FailedResultWriteTest {

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    MeterRegistry meters;

    @BeforeEach
    void refusePredictionsOfListedImages() {
        jdbc.sql("CREATE TABLE IF NOT EXISTS test_refused_result (sha256 char(64) PRIMARY KEY)").update();
        jdbc.sql("""
                CREATE OR REPLACE FUNCTION test_refuse_result() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM image i JOIN test_refused_result r ON r.sha256 = i.sha256
                               WHERE i.id = NEW.image_id) THEN
                        RAISE EXCEPTION 'test: prediction refused';
                    END IF;
                    RETURN NEW;
                END $$""").update();
        jdbc.sql("DROP TRIGGER IF EXISTS test_refuse_result ON prediction").update();
        jdbc.sql("CREATE TRIGGER test_refuse_result BEFORE INSERT ON prediction FOR EACH ROW "
                + "EXECUTE FUNCTION test_refuse_result()").update();
    }

    @AfterEach
    void dropTheFault() {
        jdbc.sql("DROP TRIGGER IF EXISTS test_refuse_result ON prediction").update();
        jdbc.sql("DROP FUNCTION IF EXISTS test_refuse_result()").update();
        jdbc.sql("DROP TABLE IF EXISTS test_refused_result").update();
    }

    @Test
    void oneRefusedResultFailsOnlyItsOwnImage() throws InterruptedException, NoSuchAlgorithmException {
        byte[] refused = TestImages.syntheticPng(1101, 300, 300);
        byte[] stored = TestImages.syntheticPng(1102, 300, 300);
        jdbc.sql("INSERT INTO test_refused_result VALUES (:sha)").param("sha",
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(refused)))
                .update();
        double pairsBefore = batchesOfTwo();

        // One request: both jobs are committed together and reach the batcher together.
        ApiClient.Answer answer = new ApiClient(port).upload(ApiClient.header("Prefer", "respond-async"), refused,
                stored);

        assertThat(answer.status()).isEqualTo(202);
        UUID refusedId = UUID.fromString(answer.body().path("images").path(0).path("id").asString());
        UUID storedId = UUID.fromString(answer.body().path("images").path(1).path("id").asString());
        Map<String, Object> refusedJob = awaitFinished(refusedId);
        Map<String, Object> storedJob = awaitFinished(storedId);

        assertThat(storedJob).containsEntry("status", "DONE");
        assertThat(predictions(storedId)).isEqualTo(1);
        assertThat(refusedJob).containsEntry("status", "FAILED").containsEntry("attempts", 1);
        assertThat((String) refusedJob.get("failure_reason")).isNotBlank().doesNotContain("test_refused_result");
        assertThat(predictions(refusedId)).isZero();
        // Both went through one forward pass; the write was retried, the model was not.
        assertThat(batchesOfTwo() - pairsBefore).isEqualTo(1);
    }

    private Map<String, Object> awaitFinished(UUID imageId) throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            Map<String, Object> job = jdbc.sql("SELECT status, attempts, failure_reason FROM inference_job "
                    + "WHERE image_id = :id").param("id", imageId).query().singleRow();
            if (job.get("status").equals("DONE") || job.get("status").equals("FAILED")) {
                return job;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("job of image " + imageId + " did not finish within 60 s");
    }

    private long predictions(UUID imageId) {
        return jdbc.sql("SELECT count(*) FROM prediction WHERE image_id = :id").param("id", imageId)
                .query(Long.class).single();
    }

    /** Batches of exactly two images this context's batcher has run, from its batch-size histogram. */
    private double batchesOfTwo() {
        double upToOne = 0;
        double upToTwo = 0;
        for (CountAtBucket bucket : meters.get("chestlens.inference.batch.size").summary().takeSnapshot()
                .histogramCounts()) {
            if (bucket.bucket() == 1) {
                upToOne = bucket.count();
            } else if (bucket.bucket() == 2) {
                upToTwo = bucket.count();
            }
        }
        return upToTwo - upToOne;
    }
}
