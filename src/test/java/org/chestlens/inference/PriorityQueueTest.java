package org.chestlens.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.chestlens.prediction.Priority;
import org.chestlens.prediction.QueuedJob;
import org.junit.jupiter.api.Test;

/**
 * The batcher's two lanes on a set clock: stat jobs go first, each lane in arrival order, and a routine job that
 * has waited the bound goes next even while stat jobs keep coming.
 */
class PriorityQueueTest {

    private static final long S = TimeUnit.SECONDS.toNanos(1);

    private long now;
    private final BatchAggregator.Queue queue = new BatchAggregator.Queue(() -> now, Duration.ofSeconds(30));

    @Test
    void statJobsGoBeforeRoutineOnesAndEachLaneKeepsItsOrder() throws InterruptedException {
        PendingJob routine1 = add(Priority.ROUTINE, 0);
        PendingJob routine2 = add(Priority.ROUTINE, S);
        PendingJob stat1 = add(Priority.STAT, 2 * S);
        PendingJob stat2 = add(Priority.STAT, 3 * S);
        now = 4 * S;

        assertThat(drain()).containsExactly(stat1, stat2, routine1, routine2);
    }

    @Test
    void aRoutineJobThatWaitedTheBoundGoesNextWhileStatJobsKeepComing() throws InterruptedException {
        PendingJob routine = add(Priority.ROUTINE, 0);
        List<PendingJob> taken = new ArrayList<>();
        // One stat job a second, each taken at once: the routine job waits, but not beyond 30 s.
        for (int second = 1; second <= 40 && !taken.contains(routine); second++) {
            now = second * S;
            add(Priority.STAT, now);
            taken.add(queue.poll(0));
            if (taken.get(taken.size() - 1) != routine) {
                continue;
            }
            assertThat(now).as("when the routine job was taken").isEqualTo(30 * S);
        }
        assertThat(taken).contains(routine);
        assertThat(taken.subList(0, taken.indexOf(routine))).allMatch(job -> job.job().priority() == Priority.STAT);
        assertThat(queue.size()).isEqualTo(1); // the stat job of second 30, next
    }

    @Test
    void anEmptyQueueWaitsForTheTimeoutAndAnArrivalWakesIt() throws InterruptedException {
        assertThat(queue.poll(0)).isNull();
        assertThat(queue.poll(TimeUnit.MILLISECONDS.toNanos(20))).isNull();
        PendingJob stat = pending(Priority.STAT, 0);
        Thread producer = new Thread(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
            queue.add(stat);
        });
        producer.start();
        assertThat(queue.poll(TimeUnit.SECONDS.toNanos(10))).isSameAs(stat);
        producer.join();
    }

    private PendingJob add(Priority priority, long enqueuedNanos) {
        PendingJob job = pending(priority, enqueuedNanos);
        queue.add(job);
        return job;
    }

    private List<PendingJob> drain() throws InterruptedException {
        List<PendingJob> jobs = new ArrayList<>();
        PendingJob next;
        while ((next = queue.poll(0)) != null) {
            jobs.add(next);
        }
        return jobs;
    }

    private static PendingJob pending(Priority priority, long enqueuedNanos) {
        QueuedJob job = new QueuedJob(UUID.randomUUID(), UUID.randomUUID(), "demo", "1", new float[4], 2, 2, 1.0, 0,
                Instant.EPOCH, priority, true);
        return new PendingJob(job, enqueuedNanos, new CompletableFuture<>());
    }
}
