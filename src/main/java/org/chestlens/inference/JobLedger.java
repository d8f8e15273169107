package org.chestlens.inference;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.chestlens.platform.DatabaseAvailability;
import org.chestlens.prediction.JobResult;
import org.chestlens.prediction.JobStatus;
import org.chestlens.prediction.JobStore;
import org.chestlens.prediction.QueuedJob;

/** What a batcher records about its jobs, as this replica (the lease owner). */
interface JobLedger {

    /** Marks the jobs as in a forward pass; returns the ids still ours (another replica may have taken some over). */
    List<UUID> markRunning(List<UUID> jobIds);

    /** Stores the predictions and closes their jobs, all in one transaction. */
    void complete(List<JobResult> results);

    /** Records a failed attempt (storing the input if it was held in memory); returns the job's new status. */
    JobStatus fail(QueuedJob job, String reason);

    /** Stores the inputs held in memory of jobs not finished yet; returns how many were written. */
    int storeInputs(List<QueuedJob> jobs);

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
            public JobStatus fail(QueuedJob job, String reason) {
                return jobs.fail(job.jobId(), owner, reason, properties.maxAttempts(), properties.retryDelay(),
                        job.inputStored() ? null : job.input());
            }

            @Override
            public int storeInputs(List<QueuedJob> held) {
                return jobs.storeInputs(held);
            }
        };
    }
}
