package org.chestlens.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Batch assembly on a simulated clock: jobs arrive at set times, and time moves only while the
 * aggregator waits for one, so every close is exact and no test sleeps.
 */
class BatchAggregatorTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final Duration DELAY = Duration.ofMillis(20);

    private final SimulatedArrivals arrivals = new SimulatedArrivals();
    /** Jobs accepted and not yet finished: those arriving plus any still being committed. */
    private int accepted;

    @Test
    void aFullBatchClosesWithoutWaitingForTheDelay() throws InterruptedException {
        List<PendingJob> jobs = arrivals.at(0, MS, 2 * MS, 3 * MS);
        accepted = 10;

        List<PendingJob> batch = aggregator(4).pollBatch(MS);

        assertThat(batch).containsExactlyElementsOf(jobs);
        assertThat(arrivals.now).isEqualTo(3 * MS);
    }

    @Test
    void aBatchClosesWhenItsFirstJobHasWaitedTheDelay() throws InterruptedException {
        List<PendingJob> jobs = arrivals.at(0, 5 * MS, 30 * MS);
        accepted = 3;

        List<PendingJob> first = aggregator(8).pollBatch(MS);

        assertThat(first).containsExactly(jobs.get(0), jobs.get(1));
        assertThat(arrivals.now).isEqualTo(20 * MS);
        assertThat(aggregator(8).pollBatch(20 * MS)).containsExactly(jobs.get(2));
    }

    @Test
    void theDelayCountsFromTheFirstJobsArrivalNotFromWhenTheWorkerLooked() throws InterruptedException {
        List<PendingJob> jobs = arrivals.at(0, 18 * MS, 25 * MS);
        accepted = 3;
        arrivals.now = 15 * MS; // the worker was busy with the previous batch until now

        List<PendingJob> batch = aggregator(8).pollBatch(MS);

        assertThat(batch).containsExactly(jobs.get(0), jobs.get(1));
        assertThat(arrivals.now).isEqualTo(20 * MS);
    }

    @Test
    void aLoneJobRunsAtOnceWhenNothingElseIsOnItsWay() throws InterruptedException {
        List<PendingJob> jobs = arrivals.at(0);
        accepted = 1;

        List<PendingJob> batch = aggregator(8).pollBatch(MS);

        assertThat(batch).containsExactlyElementsOf(jobs);
        assertThat(arrivals.now).isZero();
    }

    @Test
    void theBatchStopsWaitingOnceEveryAcceptedJobHasArrived() throws InterruptedException {
        List<PendingJob> jobs = arrivals.at(0, 4 * MS, 30 * MS);
        accepted = 2; // the third upload is not even reserved yet

        List<PendingJob> batch = aggregator(8).pollBatch(MS);

        assertThat(batch).containsExactly(jobs.get(0), jobs.get(1));
        assertThat(arrivals.now).isEqualTo(4 * MS);
    }

    @Test
    void noBatchHoldsMoreThanTheMaximumWhenMoreAreWaiting() throws InterruptedException {
        long[] times = new long[10];
        List<PendingJob> jobs = arrivals.at(times);
        accepted = 10;
        BatchAggregator aggregator = aggregator(4);

        List<List<PendingJob>> batches = List.of(aggregator.pollBatch(MS), aggregator.pollBatch(MS),
                aggregator.pollBatch(MS));

        assertThat(batches).extracting(List::size).containsExactly(4, 4, 2);
        assertThat(batches.stream().flatMap(List::stream).toList()).containsExactlyElementsOf(jobs);
        assertThat(arrivals.now).isEqualTo(20 * MS); // only the last, short batch waited for the delay
    }

    @Test
    void noJobWithinTheIdleTimeoutGivesAnEmptyBatch() throws InterruptedException {
        arrivals.at(2_000 * MS);

        assertThat(aggregator(8).pollBatch(1_000 * MS)).isEmpty();
        assertThat(arrivals.now).isEqualTo(1_000 * MS);
    }

    private BatchAggregator aggregator(int maxBatchSize) {
        return new BatchAggregator(arrivals, () -> arrivals.now, () -> accepted, maxBatchSize, DELAY);
    }

    /** Jobs that arrive at set times, on a clock that the aggregator's waits move forward. */
    private static final class SimulatedArrivals implements BatchAggregator.Arrivals {

        long now;
        private final List<PendingJob> scheduled = new ArrayList<>();

        List<PendingJob> at(long... nanos) {
            List<PendingJob> jobs = new ArrayList<>();
            for (long time : nanos) {
                jobs.add(InMemoryJobLedger.pending(0.5f, time));
            }
            scheduled.addAll(jobs);
            scheduled.sort(Comparator.comparingLong(PendingJob::enqueuedNanos));
            return jobs;
        }

        @Override
        public PendingJob poll(long timeoutNanos) {
            if (!scheduled.isEmpty() && scheduled.get(0).enqueuedNanos() <= now + timeoutNanos) {
                now = Math.max(now, scheduled.get(0).enqueuedNanos());
                return scheduled.remove(0);
            }
            now += timeoutNanos;
            return null;
        }

        @Override
        public int size() {
            return (int) scheduled.stream().filter(job -> job.enqueuedNanos() <= now).count();
        }
    }
}
