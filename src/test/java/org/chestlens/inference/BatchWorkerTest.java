package org.chestlens.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.chestlens.prediction.JobStatus;
import org.junit.jupiter.api.Test;

/**
 * The worker's batch path against a stand-in forward: four logits per image and fold, and a
 * refusal of any batch that holds a poisoned image (a negative pixel), as a forward that runs out
 * of memory or meets a malformed input would. The writer is not started, so it writes on the
 * worker's thread and every outcome is settled when {@code process} returns.
 */
class BatchWorkerTest {

    private static final float POISON = -1f;

    private final InMemoryJobLedger ledger = new InMemoryJobLedger();
    private final Admission admission = new Admission(16);
    private final List<Integer> forwardSizes = new ArrayList<>();
    private final BatchWorker worker = worker();

    @Test
    void aBatchRunsThroughTheModelOnceAndIsWrittenInOneCommit() {
        List<PendingJob> batch = held(job(0.2f), job(0.4f), job(0.6f));

        worker.process(batch);

        assertThat(forwardSizes).containsExactly(3);
        assertThat(ledger.commitSizes).containsExactly(3);
        assertThat(ledger.stored).containsOnlyKeys(ids(batch));
        assertThat(batch).allSatisfy(p -> assertThat(p.outcome()).isCompletedWithValue(JobStatus.DONE));
        assertThat(admission.reserved()).isZero();
        assertThat(admission.heldJobIds()).isEmpty();
    }

    @Test
    void aBatchThatMeetsADatabaseOutageWaitsForItAndRunsThroughTheModelOnce() {
        List<PendingJob> batch = held(job(0.2f), job(0.4f));
        ledger.unavailableCalls = 2; // marking the jobs running fails twice

        worker.process(batch);

        assertThat(ledger.awaited).isEqualTo(2);
        assertThat(forwardSizes).containsExactly(2);
        assertThat(ledger.stored).containsOnlyKeys(ids(batch));
        assertThat(ledger.failures).isEmpty();
        assertThat(batch).allSatisfy(p -> assertThat(p.outcome()).isCompletedWithValue(JobStatus.DONE));
        assertThat(admission.reserved()).isZero();
    }

    @Test
    void aFailingBatchIsRerunImageByImageAndOnlyTheBadImageFails() {
        PendingJob good1 = job(0.2f);
        PendingJob bad = job(POISON);
        PendingJob good2 = job(0.6f);
        held(good1, bad, good2);

        worker.process(List.of(good1, bad, good2));

        assertThat(forwardSizes).containsExactly(3, 1, 1, 1);
        assertThat(ledger.stored).containsOnlyKeys(ids(List.of(good1, good2)));
        assertThat(good1.outcome()).isCompletedWithValue(JobStatus.DONE);
        assertThat(good2.outcome()).isCompletedWithValue(JobStatus.DONE);
        assertThat(bad.outcome()).isCompletedWithValue(JobStatus.FAILED);
        assertThat(ledger.failures).containsOnlyKeys(bad.job().jobId());
        assertThat(ledger.failures.get(bad.job().jobId())).isEqualTo("test: poisoned batch");
        assertThat(admission.reserved()).isZero();
        assertThat(admission.heldJobIds()).isEmpty();
    }

    @Test
    void aLoneImageThatFailsIsNotRunTwice() {
        PendingJob bad = job(POISON);
        held(bad);

        worker.process(List.of(bad));

        assertThat(forwardSizes).containsExactly(1);
        assertThat(bad.outcome()).isCompletedWithValue(JobStatus.FAILED);
        assertThat(admission.reserved()).isZero();
    }

    @Test
    void aRefusedResultFailsAloneWithoutASecondForward() {
        PendingJob refused = job(0.2f);
        PendingJob stored = job(0.4f);
        held(refused, stored);
        ledger.refused.add(refused.job().jobId());

        worker.process(List.of(refused, stored));

        assertThat(forwardSizes).containsExactly(2);
        assertThat(ledger.stored).containsOnlyKeys(stored.job().jobId());
        assertThat(stored.outcome()).isCompletedWithValue(JobStatus.DONE);
        assertThat(refused.outcome()).isCompletedWithValue(JobStatus.FAILED);
        assertThat(admission.reserved()).isZero();
    }

    @Test
    void aJobAnotherReplicaTookOverGetsNoResultFromThisOne() {
        PendingJob lost = job(0.2f);
        PendingJob ours = job(0.4f);
        held(lost, ours);
        ledger.takenOverByAnotherReplica.add(lost.job().jobId());

        worker.process(List.of(lost, ours));

        assertThat(ledger.stored).containsOnlyKeys(ours.job().jobId());
        assertThat(ledger.failures).isEmpty();
        assertThat(admission.heldJobIds()).isEmpty();
    }

    /** Logits that favour class {@code round(4 * pixel)}, the same for every fold. */
    private FoldOutputs forward(List<ModelInput> batch) {
        forwardSizes.add(batch.size());
        if (batch.stream().anyMatch(input -> input.pixels()[0] == POISON)) {
            throw new InferenceFailedException("test: poisoned batch", null);
        }
        float[][][] outputs = new float[2][batch.size()][4];
        for (int i = 0; i < batch.size(); i++) {
            int favoured = Math.min(3, Math.round(4 * batch.get(i).pixels()[0]));
            outputs[0][i][favoured] = 3f;
            outputs[1][i][favoured] = 2f;
        }
        return FoldOutputs.logitsOnly(outputs);
    }

    private BatchWorker worker() {
        BatcherMetrics metrics = new BatcherMetrics(new SimpleMeterRegistry(), "demo", admission);
        BatchModel model = new BatchModel("demo", this::forward, OutputFormulation.SOFTMAX4, () -> 1.0);
        BatchAggregator unused = new BatchAggregator(new BatchAggregator.Queue(System::nanoTime, Duration.ofSeconds(30)), System::nanoTime,
                admission::reserved, 8, Duration.ofMillis(20));
        return new BatchWorker(model, unused, ledger, new ResultWriter("demo", ledger, admission, metrics),
                admission, metrics);
    }

    private static PendingJob job(float pixel) {
        return InMemoryJobLedger.pending(pixel, System.nanoTime());
    }

    /** Reserves and holds the jobs, as the batcher does when they are submitted. */
    private List<PendingJob> held(PendingJob... jobs) {
        admission.reserve(jobs.length);
        for (PendingJob job : jobs) {
            assertThat(admission.hold(job)).isNull();
        }
        return List.of(jobs);
    }

    private static List<UUID> ids(List<PendingJob> jobs) {
        return jobs.stream().map(p -> p.job().jobId()).toList();
    }
}
