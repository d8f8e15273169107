package org.chestlens.inference;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.ArrayList;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

import ai.djl.Device;
import io.micrometer.core.instrument.MeterRegistry;
import org.chestlens.platform.InstanceName;
import org.chestlens.prediction.IdempotencyKeys;
import org.chestlens.prediction.JobInputs;
import org.chestlens.prediction.JobStatus;
import org.chestlens.platform.DatabaseAvailability;
import org.chestlens.prediction.JobStore;
import org.chestlens.prediction.ModelVersionRegistry;
import org.chestlens.prediction.OperatingPoint;
import org.chestlens.prediction.OperatingPoints;
import org.chestlens.prediction.PendingImage;
import org.chestlens.prediction.Priority;
import org.chestlens.prediction.QueuedJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Service;

/**
 * Loads the configured model packages and runs one micro-batcher per model. The batchers start,
 * and warm their models up, in a lifecycle phase before the web server's, so the service neither
 * listens nor reports ready before the model can answer; they stop after the web server has
 * stopped taking uploads. Models are freed when the bean is destroyed, after every worker stopped.
 */
@Service
public class InferenceService implements SmartLifecycle, AutoCloseable {

    /**
     * Before the web server ({@code DEFAULT_PHASE - 2048}): started before it listens, stopped after
     * it has stopped. {@link JobRecovery} runs one phase later, between the batchers and the server.
     */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private static final Logger log = LoggerFactory.getLogger(InferenceService.class);

    private final Map<String, ServedModel> models = new LinkedHashMap<>();
    private final Map<String, MicroBatcher> batchers = new LinkedHashMap<>();
    private final String defaultModelId;
    private final String deviceName;
    private final String instanceId;
    private final InferenceProperties properties;
    private final JobStore jobs;
    private volatile boolean running;

    public InferenceService(InferenceProperties properties, ModelVersionRegistry modelVersions, JobStore jobs,
                            MeterRegistry meters, DatabaseAvailability database, OperatingPoints operatingPoints) {
        this.properties = properties;
        this.jobs = jobs;
        DjlRuntime.configureOffline(properties.djlCacheDir());
        Device device = DjlRuntime.chooseDevice(properties.device());
        this.deviceName = device.toString();
        this.instanceId = properties.instanceId() != null ? properties.instanceId() : InstanceName.hostName();
        try {
            for (Path packageDir : properties.modelPaths()) {
                ModelManifest manifest = ModelPackageReader.read(packageDir);
                if (models.containsKey(manifest.id())) {
                    throw new ModelPackageException("Two model packages have the id " + manifest.id());
                }
                modelVersions.register(new ModelVersionRegistry.ModelVersionSpec(manifest.id(), manifest.version(),
                        manifest.trained(), manifest.outputFormulation(),
                        manifest.folds().stream().map(ModelManifest.FoldFile::sha256).toList(), manifest.notice()));
                operatingPoints.seedFromPackage(manifest.id(), manifest.version(), packagePoints(manifest));
                ServedModel model = loadOnThread("batcher-" + manifest.id(), () -> ServedModel.load(packageDir,
                        manifest, device, properties.cpuEngine(), properties.maxBatchSize(), properties.explain(),
                        properties.outOfDistribution() != InferenceProperties.OutOfDistributionPolicy.OFF));
                models.put(manifest.id(), model);
                batchers.put(manifest.id(), new MicroBatcher(model, JobLedger.of(jobs, instanceId, properties, database),
                        properties, meters));
                log.info("Model {} {} ({} folds) loaded on {} with {} {}", manifest.id(), manifest.version(),
                        manifest.folds().size(), deviceName, model.engine(), DjlRuntime.engineVersion(model.engine()));
                if (!manifest.trained()) {
                    log.warn("Model {} {} is UNTRAINED (random weights): its predictions mean nothing",
                            manifest.id(), manifest.version());
                }
            }
            this.defaultModelId = properties.defaultModel() != null ? properties.defaultModel()
                    : models.keySet().iterator().next();
            if (!models.containsKey(defaultModelId)) {
                throw new ModelPackageException("chestlens.inference.default-model=" + defaultModelId
                        + " is not among the loaded models " + models.keySet());
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Loads a model on a thread of the given name. ONNX Runtime starts its intra-op worker threads when a fold's
     * session is created, and a native thread takes the name of the thread that starts it: loaded here, the
     * workers are "batcher-..." like the thread that feeds them (in top, in /proc, in the cost benchmark's
     * accounting) instead of "main".
     */
    private static ServedModel loadOnThread(String name, Callable<ServedModel> load) {
        FutureTask<ServedModel> task = new FutureTask<>(load);
        Thread loader = new Thread(task, name);
        loader.start();
        try {
            return task.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new ModelPackageException("Cannot load a model: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelPackageException("Interrupted while loading a model", e);
        }
    }

    /** The package's measured operating points, which become the model version's first configuration. */
    private static List<OperatingPoint> packagePoints(ModelManifest manifest) {
        if (manifest.operatingPoints() == null) {
            return List.of();
        }
        return manifest.operatingPoints().stream().map(p -> new OperatingPoint(p.finding(), p.threshold(),
                p.sensitivity(), p.specificity(), p.positives(), p.negatives(), null, null, null, p.measuredOn()))
                .toList();
    }

    public ModelInfo defaultModel() {
        return info(models.get(defaultModelId));
    }

    public Optional<ModelInfo> model(String id) {
        return Optional.ofNullable(models.get(id)).map(this::info);
    }

    public List<ModelInfo> models() {
        return models.values().stream().map(this::info).toList();
    }

    private ModelInfo info(ServedModel model) {
        return ModelInfo.of(model.manifest(), deviceName, model.engine(), model.manifest().id().equals(defaultModelId));
    }

    /**
     * Whether an upload whose image the model flags as out of its distribution is refused (422) rather than
     * answered with the flagged prediction.
     */
    public boolean rejectsOutOfDistribution() {
        return properties.outOfDistribution() == InferenceProperties.OutOfDistributionPolicy.REJECT;
    }

    /** This replica's name in job leases. */
    String instanceId() {
        return instanceId;
    }

    /**
     * Images accepted by {@link #enqueue}: their ids in order, and per new job the job and its outcome (the same
     * positions in both lists).
     */
    public record Enqueued(List<UUID> imageIds, List<QueuedJob> jobs, List<CompletableFuture<JobStatus>> outcomes) {
    }

    /**
     * The durable queue's front door: takes room in the model's queue, commits the images and their
     * jobs in one transaction, and only then hands the new jobs to the batcher. Nothing is
     * committed when the queue is full, and room that no job uses is given back. Stat jobs are scored
     * before routine ones (a bounded wait for routine). The inputs are committed, or held in memory
     * while the client waits; always committed when {@code chestlens.inference.retain-inputs} keeps
     * them after scoring.
     *
     * @throws QueueFullException when the queue cannot take the images; it says when to retry
     */
    public Enqueued enqueue(String modelId, List<PendingImage> pending, IdempotencyKeys.Claim idempotencyKey,
                            Priority priority, JobInputs inputs) {
        MicroBatcher batcher = batcher(modelId);
        ModelManifest manifest = models.get(modelId).manifest();
        batcher.reserve(pending.size());
        List<JobStore.Accepted> accepted;
        try {
            accepted = jobs.accept(pending, manifest.id(), manifest.version(), instanceId, properties.lease(),
                    idempotencyKey, priority, properties.retainInputs() ? JobInputs.STORED : inputs);
        } catch (RuntimeException e) {
            batcher.release(pending.size());
            throw e;
        }
        List<UUID> imageIds = new ArrayList<>(accepted.size());
        List<QueuedJob> queued = new ArrayList<>();
        List<CompletableFuture<JobStatus>> outcomes = new ArrayList<>();
        for (JobStore.Accepted a : accepted) {
            imageIds.add(a.imageId());
            a.job().ifPresent(job -> {
                queued.add(job);
                outcomes.add(batcher.submit(job));
            });
        }
        batcher.release(accepted.size() - outcomes.size());
        return new Enqueued(imageIds, queued, outcomes);
    }

    /** False when a model's worker thread has died: the replica can no longer score anything. */
    public boolean workersAlive() {
        return batchers.values().stream().allMatch(MicroBatcher::isAlive);
    }

    Map<String, MicroBatcher> batchers() {
        return batchers;
    }

    private MicroBatcher batcher(String modelId) {
        MicroBatcher batcher = batchers.get(modelId);
        if (batcher == null) {
            throw new IllegalArgumentException("No model " + modelId);
        }
        return batcher;
    }

    /** Starts each model's batcher in turn and returns once all are warm. */
    @Override
    public void start() {
        running = true;
        batchers.forEach((id, batcher) -> {
            long start = System.nanoTime();
            batcher.start();
            log.info("Model {} warmed up in {} ms", id, (System.nanoTime() - start) / 1_000_000);
        });
    }

    @Override
    public void stop() {
        batchers.values().forEach(MicroBatcher::stop);
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /** Frees the models, unless a forward is still running in one. */
    @Override
    public void close() {
        batchers.values().forEach(MicroBatcher::stop);
        models.forEach((id, model) -> {
            MicroBatcher batcher = batchers.get(id);
            if (batcher != null && batcher.isAlive()) {
                // A forward pass (a slow warm-up, say) is still running in native code: freeing the
                // module under it crashed the JVM. The process is going away; the OS reclaims it.
                log.warn("Model {} still busy at shutdown; leaving its native memory to the process exit", id);
                return;
            }
            model.close();
        });
    }
}
