package org.chestlens.inference;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.chestlens.prediction.JobResult;
import org.chestlens.prediction.JobStatus;
import org.chestlens.prediction.JobStore;
import org.chestlens.prediction.NewPrediction;
import org.chestlens.prediction.QueuedJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects jobs for one model into batches: a batch closes when it is full, when the first job
 * in it has waited the maximum delay (measured from that job's arrival, not from when the worker
 * looked), or at once when no further job is being accepted. One worker thread runs every forward
 * pass, so request threads never touch the model. Results are committed by a second thread while the
 * worker runs the next batch: on a GPU a batch's forward takes about as long as its database
 * transaction, and a worker that waited for the commit would leave the device idle half the time.
 * Capacity is reserved before an upload is committed and released only once its result is, so an
 * accepted job always has a place here and results waiting to be written count against the queue.
 */
final class MicroBatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MicroBatcher.class);

    private record Pending(QueuedJob job, long enqueuedNanos, CompletableFuture<JobStatus> outcome) {
    }

    /** A scored batch: the results to write for the jobs still ours, in batch order. */
    private record Scored(List<Pending> batch, List<JobResult> results) {
    }

    private final ServedModel model;
    private final JobStore jobs;
    private final InferenceProperties properties;
    private final String owner;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Map<UUID, Pending> held = new ConcurrentHashMap<>();
    private final AtomicInteger reserved = new AtomicInteger();
    private final Thread worker;
    private final ExecutorService writer;
    private volatile boolean running = true;
    private volatile double imagesPerSecond;
    private final CompletableFuture<Void> warmedUp = new CompletableFuture<>();

    private final DistributionSummary batchSizes;
    private final Timer queueWait;
    private final Timer batchDuration;
    private final Counter images;
    private final Counter rejections;
    private final Counter failures;

    MicroBatcher(ServedModel model, JobStore jobs, InferenceProperties properties, String owner,
                 MeterRegistry meters) {
        this.model = model;
        this.jobs = jobs;
        this.properties = properties;
        this.owner = owner;
        String id = model.manifest().id();
        Gauge.builder("chestlens.inference.queue.depth", reserved, AtomicInteger::get).tag("model", id)
                .description("Images accepted and not yet scored").register(meters);
        Gauge.builder("chestlens.inference.throughput", this, b -> b.imagesPerSecond).tag("model", id)
                .description("Recent images per second (moving average over batches)").register(meters);
        batchSizes = DistributionSummary.builder("chestlens.inference.batch.size").tag("model", id)
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64).register(meters);
        queueWait = Timer.builder("chestlens.inference.queue.wait").tag("model", id)
                .publishPercentileHistogram().register(meters);
        batchDuration = Timer.builder("chestlens.inference.batch.duration").tag("model", id)
                .description("Forward passes of all folds for one batch").publishPercentileHistogram().register(meters);
        images = Counter.builder("chestlens.inference.images").tag("model", id).register(meters);
        rejections = Counter.builder("chestlens.inference.rejections").tag("model", id)
                .description("Uploads answered 429 because the queue was full").register(meters);
        failures = Counter.builder("chestlens.inference.failures").tag("model", id).register(meters);
        // A batch scored after close() (a forward that outlasted the shutdown wait) is written by the
        // worker itself rather than rejected: a rejection would count as a failed attempt.
        writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), task -> {
            Thread thread = new Thread(task, "results-" + id);
            thread.setDaemon(true);
            return thread;
        }, (task, executor) -> task.run());
        worker = new Thread(this::loop, "batcher-" + id);
        worker.setDaemon(true);
        worker.start();
    }

    /** Takes room for {@code count} jobs, or throws with the time after which a retry may succeed. */
    void reserve(int count) {
        while (true) {
            int current = reserved.get();
            if (current + count > properties.queueCapacity()) {
                rejections.increment();
                double rate = Math.max(imagesPerSecond, 0.1);
                long seconds = (long) Math.ceil((current + count - properties.queueCapacity() + 1) / rate);
                throw new QueueFullException(Math.max(1, seconds));
            }
            if (reserved.compareAndSet(current, current + count)) {
                return;
            }
        }
    }

    /** Takes room for as many of {@code count} jobs as fit now; returns how many. */
    int reserveUpTo(int count) {
        while (true) {
            int current = reserved.get();
            int granted = Math.max(0, Math.min(count, properties.queueCapacity() - current));
            if (granted == 0 || reserved.compareAndSet(current, current + granted)) {
                return granted;
            }
        }
    }

    void release(int count) {
        reserved.addAndGet(-count);
    }

    /**
     * Queues a committed job that holds a reservation. A job already held (claimed again while
     * still here) is not queued twice.
     */
    CompletableFuture<JobStatus> submit(QueuedJob job) {
        Pending pending = new Pending(job, System.nanoTime(), new CompletableFuture<>());
        Pending existing = held.putIfAbsent(job.jobId(), pending);
        if (existing != null) {
            release(1);
            return existing.outcome();
        }
        queue.add(pending);
        return pending.outcome();
    }

    /**
     * Warms up on the worker itself, since libtorch sets up per-thread state on a thread's first
     * forward, and at every batch size the worker will see: TorchScript's profiling executor
     * specialises the graph per input shape, and a size met for the first time under load paid for
     * slow profiling passes (measured: batch-1 forwards at 250-300 ms instead of about 100 ms).
     */
    private void warmUp() {
        int crop = model.manifest().preprocessing().centerCrop();
        List<ModelInput> inputs = new ArrayList<>();
        for (int i = 0; i < properties.maxBatchSize(); i++) {
            float[] pixels = new float[crop * crop];
            for (int p = 0; p < pixels.length; p++) {
                pixels[p] = ((p + 31 * i) % 255) / 255f;
            }
            inputs.add(new ModelInput(pixels, crop, crop));
        }
        for (int round = 0; round < 2; round++) {
            for (int size = 1; size <= properties.maxBatchSize(); size++) {
                model.forward(inputs.subList(0, size));
            }
        }
        long start = System.nanoTime();
        model.forward(inputs);
        imagesPerSecond = inputs.size() * 1e9 / (System.nanoTime() - start);
    }

    void awaitWarmUp() {
        try {
            warmedUp.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted during warm-up", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new ModelPackageException("Warm-up of model " + model.manifest().id() + " failed: "
                    + e.getCause().getMessage(), e.getCause());
        }
    }

    private void loop() {
        try {
            warmUp();
            warmedUp.complete(null);
        } catch (RuntimeException | Error e) {
            warmedUp.completeExceptionally(e);
            return;
        }
        while (running) {
            try {
                List<Pending> batch = nextBatch();
                if (!batch.isEmpty()) {
                    process(batch);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException | Error e) {
                // Whatever happens, the worker must not die: its held jobs would keep their leases.
                log.error("Batcher for {} failed; continuing", model.manifest().id(), e);
            }
        }
    }

    boolean isAlive() {
        return worker.isAlive();
    }

    private List<Pending> nextBatch() throws InterruptedException {
        Pending first = queue.poll(1, TimeUnit.SECONDS);
        if (first == null) {
            return List.of();
        }
        List<Pending> batch = new ArrayList<>(properties.maxBatchSize());
        batch.add(first);
        long deadline = first.enqueuedNanos() + properties.maxBatchDelay().toNanos();
        while (batch.size() < properties.maxBatchSize()) {
            long remaining = deadline - System.nanoTime();
            // Waiting only pays when more jobs are on their way: reserved but not yet queued means
            // an upload is being committed right now. An idle service runs a lone image at once.
            boolean moreComing = reserved.get() > batch.size() + queue.size();
            Pending next = remaining > 0 && moreComing ? queue.poll(remaining, TimeUnit.NANOSECONDS) : queue.poll();
            if (next == null) {
                break;
            }
            batch.add(next);
        }
        return batch;
    }

    private void process(List<Pending> batch) {
        try {
            writeLater(score(batch));
        } catch (RuntimeException | Error e) {
            if (batch.size() > 1) {
                // One bad image must not cost the others an attempt: score them one by one.
                log.warn("Batch of {} for {} failed ({}); retrying its images one at a time", batch.size(),
                        model.manifest().id(), e.toString());
                for (Pending p : batch) {
                    try {
                        writeLater(score(List.of(p)));
                    } catch (RuntimeException | Error single) {
                        failed(p, single);
                        finish(List.of(p));
                    }
                }
            } else {
                failed(batch.get(0), e);
                finish(batch);
            }
        }
    }

    /** The job leaves this batcher: no longer held, its room in the queue free. */
    private void finish(List<Pending> done) {
        for (Pending p : done) {
            held.remove(p.job().jobId());
        }
        release(done.size());
    }

    private void failed(Pending pending, Throwable cause) {
        failures.increment();
        log.warn("Job {} for {} failed: {}", pending.job().jobId(), model.manifest().id(), cause.toString());
        pending.outcome().complete(recordFailure(pending.job(), cause));
    }

    /** Marks the jobs running, runs the forward passes and checks the output; writes nothing else. */
    private Scored score(List<Pending> batch) {
        List<ModelInput> inputs = new ArrayList<>(batch.size());
        List<UUID> ids = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            inputs.add(new ModelInput(p.job().input(), p.job().inputHeight(), p.job().inputWidth()));
            ids.add(p.job().jobId());
        }
        List<UUID> ours = jobs.markRunning(ids, owner, properties.lease());
        long start = System.nanoTime();
        double[] waits = new double[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            waits[i] = (start - batch.get(i).enqueuedNanos()) / 1e6;
            queueWait.record(Duration.ofNanos(start - batch.get(i).enqueuedNanos()));
        }
        float[][][] outputs = model.forward(inputs);
        long forwardNanos = System.nanoTime() - start;
        List<EnsemblePrediction> predictions = model.ensemble(outputs, batch.size(), waits, forwardNanos / 1e6);
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
        batchSizes.record(batch.size());
        batchDuration.record(Duration.ofNanos(forwardNanos));
        double rate = batch.size() / (forwardNanos / 1e9);
        imagesPerSecond = imagesPerSecond <= 0 ? rate : 0.8 * imagesPerSecond + 0.2 * rate;
        return new Scored(batch, results);
    }

    /**
     * Commits the results on the writer thread, in one transaction per batch. If that fails, each
     * result is tried alone, so one bad row does not fail the batch; a job whose result cannot be
     * written is recorded as a failed attempt (or, with the database gone, left to lease expiry).
     */
    private void writeLater(Scored scored) {
        writer.execute(() -> {
            try {
                jobs.complete(scored.results(), owner, properties.retainInputs());
                images.increment(scored.batch().size());
                scored.batch().forEach(p -> p.outcome().complete(JobStatus.DONE));
            } catch (RuntimeException | Error e) {
                log.warn("Writing {} results for {} failed ({}); writing them one at a time", scored.results().size(),
                        model.manifest().id(), e.toString());
                for (Pending p : scored.batch()) {
                    writeAlone(p, scored.results());
                }
            } finally {
                finish(scored.batch());
            }
        });
    }

    private void writeAlone(Pending pending, List<JobResult> results) {
        try {
            jobs.complete(results.stream().filter(r -> r.jobId().equals(pending.job().jobId())).toList(), owner,
                    properties.retainInputs());
            images.increment();
            pending.outcome().complete(JobStatus.DONE);
        } catch (RuntimeException | Error e) {
            failed(pending, e);
        }
    }

    /** Best effort: if the database is unreachable too, the lease expires and recovery retries. */
    private JobStatus recordFailure(QueuedJob job, Throwable cause) {
        try {
            return jobs.fail(job.jobId(), owner, failureReason(cause), properties.maxAttempts(),
                    properties.retryDelay());
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

    private NewPrediction toNewPrediction(QueuedJob job, EnsemblePrediction p) {
        return new NewPrediction(job.modelId(), job.modelVersion(), p.probabilities(), p.predictedClass(),
                p.subTaskScores().cvx03vs12(), p.subTaskScores().cvx0vs3(), p.subTaskScores().cvx1vs2(),
                p.confidence(), p.foldSpread(), job.decodeMillis(), p.waitMillis(), p.inferenceMillis());
    }

    List<UUID> heldJobIds() {
        return List.copyOf(held.keySet());
    }

    @Override
    public void close() {
        running = false;
        worker.interrupt();
        try {
            worker.join(10_000);
            // Results already scored are written before the model and the connection pool go away.
            writer.shutdown();
            writer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
