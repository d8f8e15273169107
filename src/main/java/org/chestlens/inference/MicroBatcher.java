package org.chestlens.inference;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import io.micrometer.core.instrument.MeterRegistry;
import org.chestlens.prediction.JobStatus;
import org.chestlens.prediction.QueuedJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model's batcher, put together from its parts: admission (room in the queue, Retry-After),
 * the aggregator that closes batches, the worker thread that runs every forward pass, the writer
 * thread that commits results while the next batch runs, and the meters. Threads start in
 * {@link #start()}, which returns once the model is warm.
 */
final class MicroBatcher {

    private static final Logger log = LoggerFactory.getLogger(MicroBatcher.class);

    private final String modelId;
    private final JobLedger ledger;
    private final Admission admission;
    private final BatchAggregator.Queue queue;
    private final ResultWriter writer;
    private final BatchWorker worker;

    MicroBatcher(ServedModel model, JobLedger ledger, InferenceProperties properties, MeterRegistry meters) {
        String id = model.manifest().id();
        modelId = id;
        this.ledger = ledger;
        admission = new Admission(properties.queueCapacity());
        queue = new BatchAggregator.Queue(System::nanoTime, properties.routineMaxWait());
        BatcherMetrics metrics = new BatcherMetrics(meters, id, admission);
        BatchAggregator aggregator = new BatchAggregator(queue, System::nanoTime, admission::reserved,
                properties.maxBatchSize(), properties.maxBatchDelay());
        writer = new ResultWriter(id, ledger, admission, metrics);
        worker = new BatchWorker(BatchModel.of(model, properties.maxBatchSize()), aggregator, ledger, writer,
                admission, metrics);
    }

    /** Starts the writer and the worker and waits until the worker has warmed the model up. */
    void start() {
        writer.start();
        worker.start();
        worker.awaitWarmUp();
    }

    /**
     * The worker first, so no new forward begins, then the writer, so results already scored are
     * written before the model and the connection pool go away; then the inputs still held only in
     * memory are stored, so the jobs left unscored are taken back at the next start like any other.
     */
    void stop() {
        worker.stop();
        writer.stop();
        storeHeldInputs();
    }

    private void storeHeldInputs() {
        try {
            int stored = ledger.storeInputs(admission.heldJobs());
            if (stored > 0) {
                log.info("Stored the inputs of {} unscored job(s) for {} held in memory", stored, modelId);
            }
        } catch (RuntimeException e) {
            // The database is away too: these jobs fail when recovered, and their clients got no answer.
            log.warn("Could not store the inputs of unscored jobs for {} held in memory: {}", modelId, e.toString());
        }
    }

    /** Takes room for {@code count} jobs, or throws with the time after which a retry may succeed. */
    void reserve(int count) {
        admission.reserve(count);
    }

    /** Takes room for as many of {@code count} jobs as fit now; returns how many. */
    int reserveUpTo(int count) {
        return admission.reserveUpTo(count);
    }

    void release(int count) {
        admission.release(count);
    }

    /**
     * Queues a committed job that holds a reservation. A job already held (claimed again while
     * still here) is not queued twice.
     */
    CompletableFuture<JobStatus> submit(QueuedJob job) {
        PendingJob pending = new PendingJob(job, System.nanoTime(), new CompletableFuture<>());
        PendingJob existing = admission.hold(pending);
        if (existing != null) {
            return existing.outcome();
        }
        queue.add(pending);
        return pending.outcome();
    }

    boolean isAlive() {
        return worker.isAlive();
    }

    List<UUID> heldJobIds() {
        return admission.heldJobIds();
    }
}
