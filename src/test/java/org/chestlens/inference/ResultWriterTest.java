package org.chestlens.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.chestlens.prediction.JobResult;
import org.chestlens.prediction.JobStatus;
import org.chestlens.prediction.NewPrediction;
import org.chestlens.prediction.ChestClass;
import org.junit.jupiter.api.Test;

/** The writer retries a refused batch result by result; the reasons it records quote no database text. */
class ResultWriterTest {

    private final InMemoryJobLedger ledger = new InMemoryJobLedger();
    private final Admission admission = new Admission(8);
    private final MeterRegistry meters = new SimpleMeterRegistry();
    private final ResultWriter writer = new ResultWriter("demo", ledger,
            admission, new BatcherMetrics(meters, "demo", admission));

    @Test
    void aRefusedBatchCommitIsRetriedResultByResult() {
        PendingJob refused = InMemoryJobLedger.pending(0.1f, 0);
        PendingJob stored = InMemoryJobLedger.pending(0.2f, 0);
        PendingJob alsoStored = InMemoryJobLedger.pending(0.3f, 0);
        List<PendingJob> batch = List.of(refused, stored, alsoStored);
        admission.reserve(3);
        batch.forEach(admission::hold);
        ledger.refused.add(refused.job().jobId());

        writer.write(batch, batch.stream().map(ResultWriterTest::result).toList());

        assertThat(ledger.commitSizes).containsExactly(3, 1, 1, 1);
        assertThat(ledger.stored).containsOnlyKeys(stored.job().jobId(), alsoStored.job().jobId());
        assertThat(stored.outcome()).isCompletedWithValue(JobStatus.DONE);
        assertThat(alsoStored.outcome()).isCompletedWithValue(JobStatus.DONE);
        assertThat(refused.outcome()).isCompletedWithValue(JobStatus.FAILED);
        assertThat(ledger.failures.get(refused.job().jobId())).isEqualTo("IllegalStateException");
        assertThat(meters.get("chestlens.inference.images").counter().count()).isEqualTo(2);
        assertThat(meters.get("chestlens.inference.failures").counter().count()).isEqualTo(1);
        assertThat(admission.reserved()).isZero();
        assertThat(admission.heldJobIds()).isEmpty();
    }

    @Test
    void aCommitDuringADatabaseOutageWaitsForItAndIsWrittenOnceWithoutAFailedAttempt() {
        List<PendingJob> batch = List.of(InMemoryJobLedger.pending(0.1f, 0), InMemoryJobLedger.pending(0.2f, 0));
        admission.reserve(2);
        batch.forEach(admission::hold);
        ledger.unavailableCalls = 3;

        writer.write(batch, batch.stream().map(ResultWriterTest::result).toList());

        assertThat(ledger.awaited).isEqualTo(3);
        assertThat(ledger.commitSizes).containsExactly(2);
        assertThat(ledger.stored).containsOnlyKeys(batch.stream().map(p -> p.job().jobId()).toList());
        assertThat(ledger.failures).isEmpty();
        assertThat(batch).allSatisfy(p -> assertThat(p.outcome()).isCompletedWithValue(JobStatus.DONE));
        assertThat(meters.get("chestlens.inference.failures").counter().count()).isZero();
        assertThat(admission.reserved()).isZero();
    }

    @Test
    void aBatchScoredAfterStopIsStillWritten() {
        writer.start();
        writer.stop();
        PendingJob late = InMemoryJobLedger.pending(0.1f, 0);
        admission.reserve(1);
        admission.hold(late);

        writer.write(List.of(late), List.of(result(late)));

        assertThat(late.outcome()).isCompletedWithValue(JobStatus.DONE);
        assertThat(ledger.stored).containsOnlyKeys(late.job().jobId());
    }

    private static JobResult result(PendingJob pending) {
        NewPrediction prediction = new NewPrediction("demo", "1", new double[] {0.7, 0.1, 0.1, 0.1}, ChestClass.ofIndex(0),
                0.2, 0.1, 0.5, 0.7, new double[] {0, 0, 0, 0}, 1, 2, 3, null);
        return new JobResult(pending.job().jobId(), pending.job().imageId(), prediction);
    }
}
