package org.chestlens.inference;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import ai.djl.Device;
import org.chestlens.prediction.ModelVersionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * Loads the configured model packages at start-up, warms them up, and scores pre-processed images
 * on one worker thread per device. Construction finishes only after the warm-up forward, so the
 * readiness probe cannot report ready before the model can answer.
 */
@Service
public class InferenceService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(InferenceService.class);

    private final Map<String, ServedModel> models = new LinkedHashMap<>();
    private final String defaultModelId;
    private final String deviceName;
    private final ExecutorService worker;
    private final InferenceProperties properties;

    public InferenceService(InferenceProperties properties, ModelVersionRegistry modelVersions) {
        this.properties = properties;
        DjlRuntime.configureOffline(properties.djlCacheDir());
        Device device = DjlRuntime.chooseDevice(properties.device());
        this.deviceName = device.toString();
        this.worker = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "inference-" + deviceName);
            thread.setDaemon(true);
            return thread;
        });
        try {
            for (Path packageDir : properties.modelPaths()) {
                ModelManifest manifest = ModelPackageReader.read(packageDir);
                if (models.containsKey(manifest.id())) {
                    throw new ModelPackageException("Two model packages have the id " + manifest.id());
                }
                modelVersions.register(new ModelVersionRegistry.ModelVersionSpec(manifest.id(), manifest.version(),
                        manifest.trained(), manifest.outputFormulation(),
                        manifest.folds().stream().map(ModelManifest.FoldFile::sha256).toList()));
                models.put(manifest.id(), ServedModel.load(packageDir, manifest, device, properties.maxBatchSize()));
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
            warmUp();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void warmUp() {
        for (ServedModel model : models.values()) {
            int crop = model.manifest().preprocessing().centerCrop();
            ModelInput blank = new ModelInput(new float[crop * crop], crop, crop);
            long start = System.nanoTime();
            predict(model.manifest().id(), List.of(blank));
            log.info("Model {} {} ({} folds) loaded on {}; warm-up forward took {} ms", model.manifest().id(),
                    model.manifest().version(), model.manifest().folds().size(), deviceName,
                    (System.nanoTime() - start) / 1_000_000);
        }
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
        return ModelInfo.of(model.manifest(), deviceName, model.manifest().id().equals(defaultModelId));
    }

    /**
     * Scores the images with the given model, in batches of at most the configured size, on the
     * device worker. The calling thread only waits.
     */
    public List<EnsemblePrediction> predict(String modelId, List<ModelInput> inputs) {
        ServedModel model = models.get(modelId);
        if (model == null) {
            throw new IllegalArgumentException("No model " + modelId);
        }
        long submitted = System.nanoTime();
        Future<List<EnsemblePrediction>> result = worker.submit(() -> {
            List<EnsemblePrediction> predictions = new ArrayList<>(inputs.size());
            for (int from = 0; from < inputs.size(); from += properties.maxBatchSize()) {
                List<ModelInput> batch = inputs.subList(from, Math.min(inputs.size(), from + properties.maxBatchSize()));
                double[] waits = new double[batch.size()];
                // Wait = from submission until this batch's forward starts, earlier batches included.
                Arrays.fill(waits, (System.nanoTime() - submitted) / 1e6);
                long start = System.nanoTime();
                float[][][] outputs = model.forward(batch);
                double inferenceMillis = (System.nanoTime() - start) / 1e6;
                predictions.addAll(model.ensemble(outputs, batch.size(), waits, inferenceMillis));
            }
            return Collections.unmodifiableList(predictions);
        });
        try {
            return result.get(properties.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            result.cancel(true);
            Thread.currentThread().interrupt();
            throw new InferenceFailedException("Interrupted while waiting for inference", e);
        } catch (TimeoutException e) {
            result.cancel(true);
            throw new InferenceFailedException("Inference did not finish within " + properties.timeout(), e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new InferenceFailedException("Inference failed", e.getCause());
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
        models.values().forEach(ServedModel::close);
    }
}
