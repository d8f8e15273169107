package org.chestlens.prediction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.chestlens.StoreTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Import;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.event.ApplicationEvents;
import org.springframework.test.context.event.RecordApplicationEvents;

/**
 * The durable queue's rules against the real database. The jobs belong to a model version no
 * replica serves, so a service running against the same database never touches them.
 */
@StoreTest
@RecordApplicationEvents
@Import({JobStore.class, ImageWriter.class, PredictionWriter.class, OperatingPoints.class, IdempotencyKeys.class,
        ModelVersionRegistry.class, ModelViews.class})
@EnableConfigurationProperties(RetentionProperties.class)
class JobStoreTest {

    @Autowired
    JobStore jobs;
    @Autowired
    ModelVersionRegistry modelVersions;
    @Autowired
    JdbcClient jdbc;
    @Autowired
    ImageWriter images;
    @Autowired
    IdempotencyKeys idempotencyKeys;
    @Autowired
    ApplicationEvents events;

    String modelId;

    @BeforeEach
    void registerAModelNobodyServes() {
        modelId = "jobstore-test-" + UUID.randomUUID();
        modelVersions.register(new ModelVersionRegistry.ModelVersionSpec(modelId, "1", false, "softmax4",
                List.of("0".repeat(64)), null));
    }

    @Test
    void anExpiredLeaseIsClaimedByExactlyOneReplica() throws Exception {
        accept(20, Duration.ZERO);
        ExecutorService replicas = Executors.newFixedThreadPool(4);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<List<UUID>>> claims = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            String owner = "replica-" + r;
            claims.add(replicas.submit(() -> {
                start.await();
                return jobs.claimExpired(owner, modelId, "1", 10, Duration.ofMinutes(1)).stream()
                        .map(QueuedJob::jobId).toList();
            }));
        }
        start.countDown();
        replicas.shutdown();
        assertThat(replicas.awaitTermination(1, TimeUnit.MINUTES)).isTrue();

        // Every claim of every replica, duplicates kept: two replicas taking the same job would make 21 or more.
        List<UUID> allClaims = new ArrayList<>();
        for (Future<List<UUID>> claim : claims) {
            allClaims.addAll(claim.get());
        }
        assertThat(allClaims).hasSize(20).doesNotHaveDuplicates();
        assertThat(jobs.claimExpired("late-replica", modelId, "1", 100, Duration.ofMinutes(1))).isEmpty();
    }

    @Test
    void aLiveLeaseIsNotClaimedButItsOwnerTakesItBackAtStartUp() {
        List<JobStore.Accepted> accepted = accept(1, Duration.ofMinutes(5));
        assertThat(jobs.claimExpired("other", modelId, "1", 10, Duration.ofMinutes(1))).isEmpty();

        List<QueuedJob> mine = jobs.claimOwnAndExpired("owner-of-test", modelId, "1", 10, Duration.ofMinutes(1));

        assertThat(mine).extracting(QueuedJob::jobId).containsExactly(accepted.get(0).job().orElseThrow().jobId());
        assertThat(mine.get(0).input()).hasSize(224 * 224).contains(0.5f);
    }

    @Test
    void aFailingJobIsRetriedThenMarkedFailedWithItsReason() {
        UUID job = accept(1, Duration.ofMinutes(5)).get(0).job().orElseThrow().jobId();

        assertThat(jobs.fail(job, "owner-of-test", "first", 3, Duration.ZERO)).isEqualTo(JobStatus.QUEUED);
        assertThat(jobs.claimExpired("retrier", modelId, "1", 10, Duration.ofMinutes(1))).hasSize(1)
                .allSatisfy(j -> assertThat(j.attempts()).isEqualTo(1));
        assertThat(jobs.fail(job, "retrier", "second", 3, Duration.ZERO)).isEqualTo(JobStatus.QUEUED);
        assertThat(jobs.claimExpired("retrier", modelId, "1", 10, Duration.ofMinutes(1))).hasSize(1)
                .allSatisfy(j -> assertThat(j.attempts()).isEqualTo(2));
        assertThat(jobs.fail(job, "retrier", "third: out of memory", 3, Duration.ZERO)).isEqualTo(JobStatus.FAILED);

        assertThat(jdbc.sql("SELECT failure_reason FROM inference_job WHERE id = :id").param("id", job)
                .query(String.class).single()).isEqualTo("third: out of memory");
        assertThat(jobs.claimExpired("retrier", modelId, "1", 10, Duration.ofMinutes(1))).isEmpty();
    }

    @Test
    void aReplicaThatLostItsLeaseCannotTouchTheJob() {
        UUID job = accept(1, Duration.ZERO).get(0).job().orElseThrow().jobId();
        assertThat(jobs.claimExpired("new-owner", modelId, "1", 10, Duration.ofMinutes(1))).hasSize(1);

        assertThat(jobs.markRunning(List.of(job), "owner-of-test", Duration.ofMinutes(1))).isEmpty();
        assertThat(jobs.fail(job, "owner-of-test", "late failure", 1, Duration.ZERO)).isEqualTo(JobStatus.QUEUED);
        assertThat(jobs.markRunning(List.of(job), "new-owner", Duration.ofMinutes(1))).containsExactly(job);
        assertThat(jdbc.sql("SELECT attempts FROM inference_job WHERE id = :id").param("id", job)
                .query(Integer.class).single()).isZero();
    }

    @Test
    void writingAResultTwiceStoresOnePrediction() {
        JobStore.Accepted accepted = accept(1, Duration.ofMinutes(5)).get(0);
        NewPrediction prediction = new NewPrediction(modelId, "1", new double[] {0.1, 0.2, 0.3, 0.4}, ChestClass.CVX3,
                0.5, 0.8, 0.6, 0.4, new double[] {0, 0, 0, 0}, 1, 2, 3, null);
        JobResult result = new JobResult(accepted.job().orElseThrow().jobId(), accepted.imageId(), prediction);

        jobs.complete(List.of(result), "owner-of-test", false);
        jobs.complete(List.of(result), "owner-of-test", false);

        assertThat(jdbc.sql("SELECT count(*) FROM prediction WHERE image_id = :id").param("id", accepted.imageId())
                .query(Long.class).single()).isEqualTo(1L);
        assertThat(jdbc.sql("SELECT status || ':' || (input IS NULL) FROM inference_job WHERE image_id = :id")
                .param("id", accepted.imageId()).query(String.class).single()).isEqualTo("DONE:true");
    }

    @Test
    void theSameBytesAcceptedTwiceMakeOneImageAndOneJob() {
        PendingImage same = pending();
        List<JobStore.Accepted> first = jobs.accept(List.of(same), modelId, "1", "a", Duration.ofMinutes(1), null);
        List<JobStore.Accepted> second = jobs.accept(List.of(same), modelId, "1", "b", Duration.ofMinutes(1), null);

        assertThat(second.get(0).imageId()).isEqualTo(first.get(0).imageId());
        assertThat(first.get(0).job()).isPresent();
        assertThat(second.get(0).job()).isEmpty();
    }

    @Test
    void anUploadWhoseIdempotencyKeyLostTheRaceCommitsNothing() {
        IdempotencyKeys.Claim key = new IdempotencyKeys.Claim("jobstore-test-" + UUID.randomUUID(), "a".repeat(64));
        idempotencyKeys.remember(key, List.of(UUID.randomUUID()));
        PendingImage image = pending();

        assertThatThrownBy(() -> jobs.accept(List.of(image), modelId, "1", "owner-of-test", Duration.ofMinutes(1), key))
                .isInstanceOf(DuplicateKeyException.class);
        assertThat(images.existingImageId(image.image().sha256(), null)).as("the image rolled back with the job")
                .isEmpty();
    }

    @Test
    void anUploadCommitsItsKeyWithItsImages() {
        IdempotencyKeys.Claim key = new IdempotencyKeys.Claim("jobstore-test-" + UUID.randomUUID(), "a".repeat(64));
        List<JobStore.Accepted> accepted = jobs.accept(List.of(pending(), pending()), modelId, "1", "owner-of-test",
                Duration.ofMinutes(1), key);

        assertThat(idempotencyKeys.find(key.key())).hasValueSatisfying(remembered -> {
            assertThat(remembered.imageIds()).isEqualTo(accepted.stream().map(JobStore.Accepted::imageId).toList());
            assertThat(remembered.sentAgainBy("a".repeat(64))).isTrue();
        });
    }

    @Test
    void renewingKeepsAHeldLeaseFromExpiring() {
        UUID job = accept(1, Duration.ZERO).get(0).job().orElseThrow().jobId();

        assertThat(jobs.renewLeases(List.of(job), "owner-of-test", Duration.ofMinutes(5))).isEqualTo(1);
        assertThat(jobs.claimExpired("other", modelId, "1", 10, Duration.ofMinutes(1))).isEmpty();
        assertThat(jobs.renewLeases(List.of(job), "not-the-owner", Duration.ofMinutes(5))).isZero();
    }

    @Test
    void recoveryClaimsStatJobsBeforeOlderRoutineOnesAndKeepsTheirPriority() {
        UUID routine = jobs.accept(List.of(pending()), modelId, "1", "owner-of-test", Duration.ZERO, null)
                .get(0).job().orElseThrow().jobId();
        UUID stat = jobs.accept(List.of(pending()), modelId, "1", "owner-of-test", Duration.ZERO, null,
                Priority.STAT).get(0).job().orElseThrow().jobId();

        List<QueuedJob> claimed = jobs.claimExpired("recoverer", modelId, "1", 2, Duration.ofMinutes(1));

        assertThat(claimed).extracting(QueuedJob::jobId).containsExactly(stat, routine);
        assertThat(claimed).extracting(QueuedJob::priority).containsExactly(Priority.STAT, Priority.ROUTINE);
    }

    @Test
    void aHeldInputIsNotCommittedAndRecoveryFailsItsJobOnceTheReplicaIsGone() {
        PendingImage image = pending();
        UUID job = acceptHeld(image, Duration.ZERO);
        assertThat(input(job)).as("held in memory, not committed").isNull();

        assertThat(jobs.claimExpired("survivor", modelId, "1", 10, Duration.ofMinutes(1))).isEmpty();

        assertThat(jdbc.sql("SELECT status || ':' || failure_reason || ':' || (owner IS NULL) FROM inference_job"
                + " WHERE id = :id").param("id", job).query(String.class).single())
                .isEqualTo("FAILED:" + JobStore.HELD_INPUT_LOST + ":true");
        assertThat(events.stream(PredictionFailed.class)).singleElement().satisfies(failed -> {
            assertThat(failed.jobId()).isEqualTo(job);
            assertThat(failed.reason()).isEqualTo(JobStore.HELD_INPUT_LOST);
            assertThat(failed.modelId()).isEqualTo(modelId);
        });

        // Sent again, the image is queued again, this time with its input committed.
        JobStore.Accepted again = jobs.accept(List.of(image), modelId, "1", "owner-of-test", Duration.ZERO, null)
                .get(0);
        assertThat(again.job()).map(QueuedJob::jobId).contains(job);
        assertThat(jobs.claimExpired("survivor", modelId, "1", 10, Duration.ofMinutes(1)))
                .singleElement().satisfies(j -> assertThat(j.input()).isEqualTo(image.input()));
    }

    @Test
    void aReplicaStartingAgainFailsTheJobsWhoseInputsItHeldButLeavesALiveOnesLeaseAlone() {
        UUID job = acceptHeld(pending(), Duration.ofMinutes(5));

        assertThat(jobs.claimExpired("other", modelId, "1", 10, Duration.ofMinutes(1))).isEmpty();
        assertThat(status(job)).as("its lease is live: its replica may be scoring it").isEqualTo("QUEUED");

        assertThat(jobs.claimOwnAndExpired("owner-of-test", modelId, "1", 10, Duration.ofMinutes(1))).isEmpty();
        assertThat(status(job)).isEqualTo("FAILED");
    }

    @Test
    void aStoredHeldInputMakesTheJobClaimableByAnyReplicaAndAFinishedJobGetsNone() {
        PendingImage image = pending();
        UUID job = acceptHeld(image, Duration.ZERO);
        QueuedJob held = new QueuedJob(job, null, modelId, "1", image.input(), 224, 224, 1.0, 0, null,
                Priority.ROUTINE, false);

        assertThat(jobs.storeInputs(List.of(held))).isEqualTo(1);
        assertThat(jobs.storeInputs(List.of(held))).as("already stored").isZero();

        List<QueuedJob> claimed = jobs.claimExpired("survivor", modelId, "1", 10, Duration.ofMinutes(1));
        assertThat(claimed).singleElement().satisfies(j -> {
            assertThat(j.input()).isEqualTo(image.input());
            assertThat(j.inputStored()).isTrue();
        });

        PendingImage scoredImage = pending();
        UUID scored = acceptHeld(scoredImage, Duration.ofMinutes(5));
        jobs.complete(List.of(new JobResult(scored, imageOf(scored), prediction())), "owner-of-test", false);
        assertThat(jobs.storeInputs(List.of(new QueuedJob(scored, null, modelId, "1", scoredImage.input(), 224, 224,
                1.0, 0, null, Priority.ROUTINE, false)))).isZero();
        assertThat(input(scored)).isNull();
    }

    @Test
    void aFailedAttemptStoresTheHeldInputForItsRetry() {
        PendingImage image = pending();
        UUID job = acceptHeld(image, Duration.ofMinutes(5));

        assertThat(jobs.fail(job, "owner-of-test", "first", 3, Duration.ZERO, image.input()))
                .isEqualTo(JobStatus.QUEUED);

        assertThat(jobs.claimExpired("retrier", modelId, "1", 10, Duration.ofMinutes(1))).singleElement()
                .satisfies(j -> {
                    assertThat(j.input()).isEqualTo(image.input());
                    assertThat(j.attempts()).isEqualTo(1);
                });
    }

    private UUID acceptHeld(PendingImage image, Duration lease) {
        JobStore.Accepted accepted = jobs.accept(List.of(image), modelId, "1", "owner-of-test", lease, null,
                Priority.ROUTINE, JobInputs.HELD_WHILE_CLIENT_WAITS).get(0);
        QueuedJob job = accepted.job().orElseThrow();
        assertThat(job.inputStored()).isFalse();
        assertThat(job.input()).isSameAs(image.input());
        return job.jobId();
    }

    private byte[] input(UUID job) {
        return jdbc.sql("SELECT input FROM inference_job WHERE id = :id").param("id", job).query(byte[].class)
                .optional().orElse(null);
    }

    private String status(UUID job) {
        return jdbc.sql("SELECT status FROM inference_job WHERE id = :id").param("id", job).query(String.class)
                .single();
    }

    private UUID imageOf(UUID job) {
        return jdbc.sql("SELECT image_id FROM inference_job WHERE id = :id").param("id", job).query(UUID.class)
                .single();
    }

    private NewPrediction prediction() {
        return new NewPrediction(modelId, "1", new double[] {0.1, 0.2, 0.3, 0.4}, ChestClass.CVX3,
                0.5, 0.8, 0.6, 0.4, new double[] {0, 0, 0, 0}, 1, 2, 3, null);
    }

    private List<JobStore.Accepted> accept(int count, Duration lease) {
        List<PendingImage> pending = java.util.stream.IntStream.range(0, count).mapToObj(i -> pending()).toList();
        return jobs.accept(pending, modelId, "1", "owner-of-test", lease, null);
    }

    private static PendingImage pending() {
        float[] input = new float[224 * 224];
        java.util.Arrays.fill(input, 0.5f);
        String sha = UUID.randomUUID().toString().replace("-", "") + UUID.randomUUID().toString().replace("-", "");
        return new PendingImage(new NewImage(sha, "PNG", 100, 300, 300, 8, "GREY", List.of()), input, 224, 224, 1.0);
    }
}
