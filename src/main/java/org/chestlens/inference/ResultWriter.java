package org.chestlens.inference;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.chestlens.platform.CpuStages;
import org.chestlens.platform.DatabaseAvailability;
import org.chestlens.prediction.JobResult;
import org.chestlens.prediction.JobStatus;
import org.chestlens.prediction.QueuedJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits scored batches on its own thread while the worker runs the next batch: on a GPU a
 * batch's forward takes about as long as its database transaction, and a worker that waited for the
 * commit would leave the device idle half the time. Every job leaves the batcher through here,
 * with a result or as a failed attempt.
 */
final class ResultWriter {

    private static final Logger log = LoggerFactory.getLogger(ResultWriter.class);
    /** How long a stopping writer still waits for the database before it leaves its results unwritten. */
    private static final Duration LAST_WAIT = Duration.ofSeconds(5);

    private final String modelId;
    private final JobLedger ledger;
    private final Admission admission;
    private final BatcherMetrics metrics;
    private volatile ExecutorService thread;
    private volatile boolean stopping;

    ResultWriter(String modelId, JobLedger ledger, Admission admission, BatcherMetrics metrics) {
        this.modelId = modelId;
        this.ledger = ledger;
        this.admission = admission;
        this.metrics = metrics;
    }

    void start() {
        stopping = false;
        // A batch scored after stop() (a forward that outlasted the shutdown wait) is written by the
        // worker itself rather than rejected: a rejection would count as a failed attempt.
        thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), task -> {
            Thread writer = new Thread(task, "results-" + modelId);
            writer.setDaemon(true);
            return writer;
        }, (task, executor) -> task.run());
    }

    /** Writes the results already handed over, then lets the thread end. */
    void stop() {
        ExecutorService writer = thread;
        if (writer == null) {
            return;
        }
        stopping = true;
        writer.shutdown();
        try {
            writer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Commits the results of a scored batch in one transaction, on the writer thread (on the
     * caller's before {@link #start}). If that fails, each result is tried alone, so one bad row
     * does not fail the batch; a job whose result cannot be written is recorded as a failed
     * attempt (or, with the database gone, left to lease expiry). The model is not run again.
     *
     * @param results the results to write for the jobs of {@code batch} still ours, in batch order
     */
    void write(List<PendingJob> batch, List<JobResult> results) {
        Runnable commit = () -> commit(batch, results);
        ExecutorService writer = thread;
        if (writer == null) {
            commit.run();
        } else {
            writer.execute(commit);
        }
    }

    private void commit(List<PendingJob> batch, List<JobResult> results) {
        CpuStages.begin();
        try {
            completeOnceTheDatabaseAnswers(results);
            metrics.cpu().end(CpuStages.Stage.RESULTS);
            metrics.written(batch.size());
            batch.forEach(p -> p.outcome().complete(JobStatus.DONE));
        } catch (RuntimeException | Error e) {
            if (DatabaseAvailability.isOutage(e)) {
                // Stopping, and the database still away: no attempt is counted, the leases bring the jobs back.
                log.warn("{} results for {} not written before shutdown; their jobs will be scored again",
                        results.size(), modelId);
                batch.forEach(p -> p.outcome().complete(JobStatus.QUEUED));
                return;
            }
            log.warn("Writing {} results for {} failed ({}); writing them one at a time", results.size(), modelId,
                    e.toString());
            for (PendingJob p : batch) {
                writeAlone(p, results);
            }
        } finally {
            admission.finish(batch);
        }
    }

    /**
     * The results of a forward pass are not thrown away because the database is briefly unavailable: the
     * commit waits for it and is tried again (writing is idempotent), so the jobs are not scored twice.
     * Only a writer that is stopping gives up, after a last wait, and leaves the jobs to their leases.
     */
    private void completeOnceTheDatabaseAnswers(List<JobResult> results) {
        boolean waited = false;
        while (true) {
            try {
                ledger.complete(results);
                if (waited) {
                    log.info("Wrote {} results for {} that waited for the database", results.size(), modelId);
                }
                return;
            } catch (RuntimeException e) {
                if (!DatabaseAvailability.isOutage(e)) {
                    throw e;
                }
                if (!waited) {
                    log.warn("Writing {} results for {} waits for the database: {}", results.size(), modelId,
                            e.toString());
                }
                waited = true;
                try {
                    if (!ledger.awaitDatabase(stopping ? LAST_WAIT : Duration.ofSeconds(1)) && stopping) {
                        throw e;
                    }
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private void writeAlone(PendingJob pending, List<JobResult> results) {
        try {
            ledger.complete(results.stream().filter(r -> r.jobId().equals(pending.job().jobId())).toList());
            metrics.written(1);
            pending.outcome().complete(JobStatus.DONE);
        } catch (RuntimeException | Error e) {
            failed(pending, e);
        }
    }

    /** A job that could not be scored leaves the batcher as a failed attempt. */
    void fail(PendingJob pending, Throwable cause) {
        failed(pending, cause);
        admission.finish(List.of(pending));
    }

    private void failed(PendingJob pending, Throwable cause) {
        metrics.failed();
        log.warn("Job {} for {} failed: {}", pending.job().jobId(), modelId, cause.toString());
        pending.outcome().complete(recordFailure(pending.job(), cause));
    }

    /** Best effort: if the database is unreachable too, the lease expires and recovery retries. */
    private JobStatus recordFailure(QueuedJob job, Throwable cause) {
        try {
            return ledger.fail(job, failureReason(cause));
        } catch (RuntimeException e) {
            log.warn("Could not record failure of job {}: {}", job.jobId(), e.toString());
            return JobStatus.QUEUED;
        }
    }

    /**
     * What clients may read about a failure: our own exceptions' messages describe the model, not
     * the data; anything else (a database error may quote values) is reduced to its type.
     */
    private static String failureReason(Throwable cause) {
        if (cause instanceof InferenceFailedException || cause instanceof ModelPackageException) {
            return cause.getMessage();
        }
        return cause.getClass().getSimpleName();
    }
}
