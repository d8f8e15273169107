package org.chestlens.inference;

import java.time.Instant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.chestlens.prediction.JobResult;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.chestlens.prediction.JobStatus;
import org.chestlens.prediction.Priority;
import org.chestlens.prediction.QueuedJob;

/**
 * The batcher's job ledger kept in memory, for unit tests of the worker and the writer: it stores
 * what they write and refuses, like a constraint would, any commit that contains a listed job.
 */
final class InMemoryJobLedger implements JobLedger {

    final Set<UUID> refused = new HashSet<>();
    final Set<UUID> takenOverByAnotherReplica = new HashSet<>();
    final Map<UUID, JobResult> stored = new LinkedHashMap<>();
    final Map<UUID, String> failures = new LinkedHashMap<>();
    final Set<UUID> inputsStored = new HashSet<>();
    final List<Integer> commitSizes = new ArrayList<>();
    /** This many of the next calls to markRunning or complete fail as if the database were away. */
    int unavailableCalls;
    /** How often the batcher waited for the database. */
    int awaited;

    private void failWhileUnavailable() {
        if (unavailableCalls > 0) {
            unavailableCalls--;
            throw new CannotGetJdbcConnectionException("test: the database is unavailable");
        }
    }

    @Override
    public boolean awaitDatabase(Duration max) {
        awaited++;
        return true;
    }

    @Override
    public List<UUID> markRunning(List<UUID> jobIds) {
        failWhileUnavailable();
        return jobIds.stream().filter(id -> !takenOverByAnotherReplica.contains(id)).toList();
    }

    @Override
    public void complete(List<JobResult> results) {
        failWhileUnavailable();
        commitSizes.add(results.size());
        for (JobResult result : results) {
            if (refused.contains(result.jobId())) {
                throw new IllegalStateException("test: prediction of job " + result.jobId() + " refused");
            }
        }
        results.forEach(r -> stored.put(r.jobId(), r));
    }

    @Override
    public JobStatus fail(QueuedJob job, String reason) {
        failures.put(job.jobId(), reason);
        return JobStatus.FAILED;
    }

    @Override
    public int storeInputs(List<QueuedJob> jobs) {
        int written = 0;
        for (QueuedJob job : jobs) {
            if (!job.inputStored() && inputsStored.add(job.jobId())) {
                written++;
            }
        }
        return written;
    }

    /** A job as the batcher receives it: 2 x 2 pixels of {@code value}, arrived at {@code enqueuedNanos}. */
    static PendingJob pending(float value, long enqueuedNanos) {
        QueuedJob job = new QueuedJob(UUID.randomUUID(), UUID.randomUUID(), "demo", "1", new float[] {value, value,
                value, value}, 2, 2, 1.0, 0, Instant.EPOCH, Priority.ROUTINE, true);
        return new PendingJob(job, enqueuedNanos, new CompletableFuture<>());
    }
}
