package org.chestlens.inference;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;

/**
 * A verified model package loaded onto a device: one module per cross-validation fold, the TorchScript folds on
 * libtorch, or on the CPU their ONNX copies on ONNX Runtime (see {@link DjlRuntime#engineFor}). Only the device
 * worker thread calls {@link #forward}; DJL predictors are not thread-safe.
 */
final class ServedModel implements AutoCloseable {

    private final ModelManifest manifest;
    private final OutputFormulation formulation;
    private final List<ZooModel<List<ModelInput>, FoldTranslator.FoldOutput>> folds = new ArrayList<>();
    private final List<Predictor<List<ModelInput>, FoldTranslator.FoldOutput>> predictors = new ArrayList<>();

    private final boolean explains;
    private final MahalanobisScorer outOfDistribution;
    private final String engine;
    private final List<String> foldFiles;

    private ServedModel(ModelManifest manifest, boolean explain, MahalanobisScorer outOfDistribution, String engine) {
        this.manifest = manifest;
        this.formulation = OutputFormulation.fromId(manifest.outputFormulation());
        this.explains = explain && manifest.explains();
        this.outOfDistribution = outOfDistribution;
        this.engine = engine;
        this.foldFiles = (engine.equals(DjlRuntime.ONNX_ENGINE) ? manifest.onnx().folds() : manifest.folds()).stream()
                .map(ModelManifest.FoldFile::file).toList();
    }

    static ServedModel load(Path packageDir, ModelManifest manifest, Device device, int maxBatchSize) {
        return load(packageDir, manifest, device, InferenceProperties.CpuEngine.ONNXRUNTIME, maxBatchSize, true, true);
    }

    static ServedModel load(Path packageDir, ModelManifest manifest, Device device,
                            InferenceProperties.CpuEngine cpuEngine, int maxBatchSize) {
        return load(packageDir, manifest, device, cpuEngine, maxBatchSize, true, true);
    }

    /**
     * @param cpuEngine what runs the folds when {@code device} is the CPU (a package without ONNX folds: libtorch)
     * @param explain keep the class activation maps of a format-2 package (false: read logits only)
     * @param scoreOutOfDistribution score each image's distance from the training set, when the package ships the
     *                               statistics (format 3)
     */
    static ServedModel load(Path packageDir, ModelManifest manifest, Device device,
                            InferenceProperties.CpuEngine cpuEngine, int maxBatchSize, boolean explain,
                            boolean scoreOutOfDistribution) {
        MahalanobisScorer scorer = scoreOutOfDistribution && manifest.outOfDistribution() != null
                ? MahalanobisScorer.load(packageDir, manifest) : null;
        String engine = DjlRuntime.engineFor(manifest, device, cpuEngine);
        boolean onnx = engine.equals(DjlRuntime.ONNX_ENGINE);
        ServedModel model = new ServedModel(manifest, explain, scorer, engine);
        int crop = manifest.preprocessing().centerCrop();
        FoldTranslator translator = new FoldTranslator(maxBatchSize, crop, crop, model.explains, scorer != null,
                onnx ? manifest.onnx().outputs() : null);
        try {
            for (String file : model.foldFiles) {
                Criteria.Builder<List<ModelInput>, FoldTranslator.FoldOutput> builder = Criteria.builder()
                        .setTypes(listType(), FoldTranslator.FoldOutput.class)
                        .optModelPath(packageDir)
                        .optModelName(file.substring(0, file.lastIndexOf('.')))
                        .optEngine(engine)
                        .optDevice(device)
                        .optTranslator(translator);
                if (onnx) {
                    // One fold runs at a time, so each may use every core; one graph, so no inter-op parallelism.
                    builder.optOption("intraOpNumThreads", Integer.toString(DjlRuntime.cpuThreads()))
                            .optOption("interOpNumThreads", "1");
                } else {
                    builder.optOption("mapLocation", "true");
                }
                ZooModel<List<ModelInput>, FoldTranslator.FoldOutput> zooModel = builder.build().loadModel();
                model.folds.add(zooModel);
                model.predictors.add(zooModel.newPredictor());
            }
        } catch (IOException | ModelNotFoundException | MalformedModelException e) {
            model.close();
            throw new ModelPackageException("Cannot load model " + manifest.id() + " from " + packageDir
                    + ": " + e.getMessage(), e);
        }
        return model;
    }

    /**
     * Raw outputs of every fold, with the class activation maps of a format-2 package: they come out
     * of the same forward, so asking for them costs a copy, not a second pass.
     */
    FoldOutputs forward(List<ModelInput> batch) {
        float[][][] logits = new float[predictors.size()][][];
        float[][][] maps = explains ? new float[predictors.size()][][] : null;
        float[][][] features = outOfDistribution != null ? new float[predictors.size()][][] : null;
        try {
            for (int f = 0; f < predictors.size(); f++) {
                FoldTranslator.FoldOutput output = predictors.get(f).predict(batch);
                String foldFile = foldFiles.get(f);
                checkShape(output.logits(), batch.size(), foldFile);
                if (maps != null) {
                    checkMaps(output.maps(), batch.size(), foldFile);
                    maps[f] = output.maps();
                }
                if (features != null) {
                    checkFeatures(output.features(), batch.size(), foldFile);
                    features[f] = output.features();
                }
                logits[f] = output.logits();
            }
        } catch (TranslateException e) {
            throw new InferenceFailedException("Forward pass of model " + manifest.id() + " failed", e);
        }
        return new FoldOutputs(logits, maps, maps == null ? 0 : mapShape().get(1),
                maps == null ? 0 : mapShape().get(2), features);
    }

    /** Turns raw fold outputs into one ensemble prediction per image, with its out-of-distribution score. */
    List<EnsemblePrediction> ensemble(FoldOutputs outputs, int batchSize, double[] waitMillis, double inferenceMillis) {
        return MahalanobisScorer.attach(outOfDistribution, outputs,
                formulation.ensemble(outputs, batchSize, waitMillis, inferenceMillis));
    }

    /** The package's out-of-distribution scorer; null when it has none or the check is off. */
    MahalanobisScorer outOfDistribution() {
        return outOfDistribution;
    }

    private void checkFeatures(float[][] features, int batchSize, String foldFile) {
        if (features == null || features.length != batchSize || features[0].length != outOfDistribution.size()) {
            throw new ModelPackageException(foldFile + " of model " + manifest.id() + " does not return the "
                    + outOfDistribution.size() + " pooled features per image its model.json declares");
        }
    }

    private List<Integer> mapShape() {
        return manifest.explanation().shape();
    }

    private void checkMaps(float[][] maps, int batchSize, String foldFile) {
        int expected = mapShape().get(0) * mapShape().get(1) * mapShape().get(2);
        if (maps == null || maps.length != batchSize || maps[0].length != expected) {
            throw new ModelPackageException(foldFile + " of model " + manifest.id() + " does not return the class "
                    + "activation maps its model.json declares (" + mapShape() + " per image)");
        }
    }

    private void checkShape(float[][] output, int batchSize, String foldFile) {
        if (output.length != batchSize || output[0].length != formulation.outputCount()) {
            throw new ModelPackageException(foldFile + " of model " + manifest.id() + " returns "
                    + output.length + " x " + (output.length == 0 ? 0 : output[0].length) + " values for a batch of "
                    + batchSize + "; " + formulation.id() + " needs " + formulation.outputCount() + " per image");
        }
    }

    ModelManifest manifest() {
        return manifest;
    }

    OutputFormulation formulation() {
        return formulation;
    }

    /** The DJL engine running the folds: {@link DjlRuntime#ENGINE} or {@link DjlRuntime#ONNX_ENGINE}. */
    String engine() {
        return engine;
    }

    @Override
    public void close() {
        predictors.forEach(Predictor::close);
        folds.forEach(ZooModel::close);
    }

    @SuppressWarnings("unchecked")
    private static Class<List<ModelInput>> listType() {
        return (Class<List<ModelInput>>) (Class<?>) List.class;
    }
}
