package org.chestlens.inference;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.chestlens.platform.DatabaseAvailability;
import org.chestlens.prediction.JobResult;
import org.chestlens.prediction.JobStatus;
import org.chestlens.prediction.JobStore;

/** What a batcher records about its jobs, as this replica (the lease owner). */
interface JobLedger {

    /** Marks the jobs as in a forward pass; returns the ids still ours (another replica may have taken some over). */
    List<UUID> markRunning(List<UUID> jobIds);

    /** Stores the predictions and closes their jobs, all in one transaction. */
    void complete(List<JobResult> results);

    /** Records a failed attempt; returns the job's new status. */
    JobStatus fail(UUID jobId, String reason);

    /**
     * After a call failed because the database was unavailable: waits until it answers again, at most
     * {@code max}; returns whether it does.
     */
    boolean awaitDatabase(Duration max) throws InterruptedException;

    static JobLedger of(JobStore jobs, String owner, InferenceProperties properties, DatabaseAvailability database) {
        return new JobLedger() {
            @Override
            public boolean awaitDatabase(Duration max) throws InterruptedException {
                return database.awaitAvailable(max);
            }

            @Override
            public List<UUID> markRunning(List<UUID> jobIds) {
                return jobs.markRunning(jobIds, owner, properties.lease());
            }

            @Override
            public void complete(List<JobResult> results) {
                jobs.complete(results, owner, properties.retainInputs());
            }

            @Override
            public JobStatus fail(UUID jobId, String reason) {
                return jobs.fail(jobId, owner, reason, properties.maxAttempts(), properties.retryDelay());
            }
        };
    }
}
