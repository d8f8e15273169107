package org.chestlens.inference;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.chestlens.platform.CpuStages;
import org.chestlens.platform.DatabaseAvailability;
import org.chestlens.prediction.JobResult;
import org.chestlens.prediction.JobStatus;
import org.chestlens.prediction.NewPrediction;
import org.chestlens.prediction.QueuedJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that runs a model's forward passes, so request threads never touch the model:
 * it warms the model up, then takes batches from the aggregator, scores them and hands the results
 * to the writer. A batch that fails is re-run image by image, so one bad image costs only itself.
 */
final class BatchWorker {

    private static final Logger log = LoggerFactory.getLogger(BatchWorker.class);
    /** How long the worker waits for a first job before it looks whether it should stop. */
    private static final long IDLE_POLL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final BatchModel model;
    private final BatchAggregator aggregator;
    private final JobLedger ledger;
    private final ResultWriter writer;
    private final Admission admission;
    private final BatcherMetrics metrics;
    private final CompletableFuture<Void> warmedUp = new CompletableFuture<>();
    private volatile boolean running;
    /** Set by {@link #stop}: a batch waiting for the database gives up then. */
    private volatile boolean stopped;
    private volatile Thread thread;

    BatchWorker(BatchModel model, BatchAggregator aggregator, JobLedger ledger, ResultWriter writer,
                Admission admission, BatcherMetrics metrics) {
        this.model = model;
        this.aggregator = aggregator;
        this.ledger = ledger;
        this.writer = writer;
        this.admission = admission;
        this.metrics = metrics;
    }

    void start() {
        running = true;
        stopped = false;
        Thread worker = new Thread(this::loop, "batcher-" + model.id());
        worker.setDaemon(true);
        thread = worker;
        worker.start();
    }

    void awaitWarmUp() {
        try {
            warmedUp.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted during warm-up", e);
        } catch (ExecutionException e) {
            throw new ModelPackageException("Warm-up of model " + model.id() + " failed: "
                    + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Takes no further batch and waits up to 10 s for the forward in progress to end. */
    void stop() {
        running = false;
        stopped = true;
        Thread worker = thread;
        if (worker == null) {
            return;
        }
        worker.interrupt();
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean isAlive() {
        Thread worker = thread;
        return worker != null && worker.isAlive();
    }

    private void loop() {
        // Once per worker: a restarted one (a test context paused and resumed) finds the model warm.
        if (!warmedUp.isDone()) {
            try {
                admission.measured(model.warmUp().getAsDouble());
                warmedUp.complete(null);
            } catch (RuntimeException | Error e) {
                warmedUp.completeExceptionally(e);
                return;
            }
        }
        while (running) {
            try {
                List<PendingJob> batch = aggregator.pollBatch(IDLE_POLL_NANOS);
                if (!batch.isEmpty()) {
                    process(batch);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException | Error e) {
                // Whatever happens, the worker must not die: its held jobs would keep their leases.
                log.error("Batcher for {} failed; continuing", model.id(), e);
            }
        }
    }

    /** Scores a batch and hands its results to the writer; if the batch fails, its images one at a time. */
    void process(List<PendingJob> batch) {
        try {
            writer.write(batch, score(batch));
        } catch (RuntimeException | Error e) {
            if (DatabaseAvailability.isOutage(e)) {
                // Stopping during an outage: no attempt is counted, the leases bring the jobs back.
                batch.forEach(p -> p.outcome().complete(JobStatus.QUEUED));
                admission.finish(batch);
                return;
            }
            if (batch.size() > 1) {
                // One bad image must not cost the others an attempt: score them one by one.
                log.warn("Batch of {} for {} failed ({}); retrying its images one at a time", batch.size(),
                        model.id(), e.toString());
                for (PendingJob p : batch) {
                    try {
                        writer.write(List.of(p), score(List.of(p)));
                    } catch (RuntimeException | Error single) {
                        writer.fail(p, single);
                    }
                }
            } else {
                writer.fail(batch.get(0), e);
            }
        }
    }

    /** Marks the jobs running, runs the forward passes and checks the output: the results of the jobs still ours. */
    private List<JobResult> score(List<PendingJob> batch) {
        List<ModelInput> inputs = new ArrayList<>(batch.size());
        List<UUID> ids = new ArrayList<>(batch.size());
        for (PendingJob p : batch) {
            inputs.add(new ModelInput(p.job().input(), p.job().inputHeight(), p.job().inputWidth()));
            ids.add(p.job().jobId());
        }
        CpuStages.begin();
        List<UUID> ours = markRunning(ids);
        metrics.cpu().end(CpuStages.Stage.BATCH_DATABASE);
        long start = System.nanoTime();
        double[] waits = new double[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            waits[i] = (start - batch.get(i).enqueuedNanos()) / 1e6;
            metrics.waited(batch.get(i).job().priority(), start - batch.get(i).enqueuedNanos());
        }
        FoldOutputs outputs = model.forward().forward(inputs);
        long forwardNanos = System.nanoTime() - start;
        List<EnsemblePrediction> predictions = model.ensemble(outputs, batch.size(), waits,
                forwardNanos / 1e6);
        List<JobResult> results = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            QueuedJob job = batch.get(i).job();
            if (!ours.contains(job.jobId())) {
                continue; // another replica took it over meanwhile; its result wins
            }
            EnsemblePrediction prediction = predictions.get(i);
            for (double p : prediction.probabilities()) {
                if (!Double.isFinite(p)) {
                    throw new InferenceFailedException("The model returned a non-finite probability", null);
                }
            }
            results.add(new JobResult(job.jobId(), job.imageId(), toNewPrediction(job, prediction)));
        }
        metrics.scored(batch.size(), forwardNanos);
        admission.served(batch.size(), forwardNanos);
        return results;
    }

    /**
     * Marks the jobs running; while the database is unavailable, waits for it with the batch in hand (the
     * jobs stay leased to this replica and are scored once, when it is back) rather than failing them.
     */
    private List<UUID> markRunning(List<UUID> ids) {
        while (true) {
            try {
                return ledger.markRunning(ids);
            } catch (RuntimeException e) {
                if (!DatabaseAvailability.isOutage(e) || stopped) {
                    throw e;
                }
                log.warn("Batch of {} for {} waits for the database: {}", ids.size(), model.id(), e.toString());
                awaitDatabase(e);
            }
        }
    }

    private void awaitDatabase(RuntimeException outage) {
        try {
            while (!stopped && !ledger.awaitDatabase(Duration.ofSeconds(1))) {
                // keep the batch; look again whether the worker should stop
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw outage; // stopping: the jobs stay leased and are taken back at the next start
        }
        if (stopped) {
            throw outage;
        }
    }

    private static NewPrediction toNewPrediction(QueuedJob job, EnsemblePrediction p) {
        return new NewPrediction(job.modelId(), job.modelVersion(), p.probabilities(), p.predictedClass(),
                p.subTaskScores().cvx03vs12(), p.subTaskScores().cvx0vs3(), p.subTaskScores().cvx1vs2(),
                p.confidence(), p.foldSpread(), job.decodeMillis(), p.waitMillis(), p.inferenceMillis(), p.maps(),
                p.outOfDistribution());
    }
}
