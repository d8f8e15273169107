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
 * A verified model package loaded onto a device: one TorchScript module per cross-validation
 * fold. Only the device worker thread calls {@link #forward}; DJL predictors are not thread-safe.
 */
final class ServedModel implements AutoCloseable {

    private final ModelManifest manifest;
    private final OutputFormulation formulation;
    private final List<ZooModel<List<ModelInput>, float[][]>> folds = new ArrayList<>();
    private final List<Predictor<List<ModelInput>, float[][]>> predictors = new ArrayList<>();

    private ServedModel(ModelManifest manifest) {
        this.manifest = manifest;
        this.formulation = OutputFormulation.fromId(manifest.outputFormulation());
    }

    static ServedModel load(Path packageDir, ModelManifest manifest, Device device, int maxBatchSize) {
        ServedModel model = new ServedModel(manifest);
        int crop = manifest.preprocessing().centerCrop();
        FoldTranslator translator = new FoldTranslator(maxBatchSize, crop, crop);
        try {
            for (ModelManifest.FoldFile fold : manifest.folds()) {
                Criteria<List<ModelInput>, float[][]> criteria = Criteria.builder()
                        .setTypes(listType(), float[][].class)
                        .optModelPath(packageDir)
                        .optModelName(fold.file().substring(0, fold.file().length() - ".pt".length()))
                        .optEngine(DjlRuntime.ENGINE)
                        .optDevice(device)
                        .optOption("mapLocation", "true")
                        .optTranslator(translator)
                        .build();
                ZooModel<List<ModelInput>, float[][]> zooModel = criteria.loadModel();
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

    /** Raw outputs per fold: {@code [fold][image][output]}. */
    float[][][] forward(List<ModelInput> batch) {
        float[][][] outputs = new float[predictors.size()][][];
        try {
            for (int f = 0; f < predictors.size(); f++) {
                outputs[f] = predictors.get(f).predict(batch);
                checkShape(outputs[f], batch.size(), manifest.folds().get(f).file());
            }
        } catch (TranslateException e) {
            throw new InferenceFailedException("Forward pass of model " + manifest.id() + " failed", e);
        }
        return outputs;
    }

    /** Turns raw fold outputs into one ensemble prediction per image. */
    List<EnsemblePrediction> ensemble(float[][][] outputs, int batchSize, double[] waitMillis, double inferenceMillis) {
        return formulation.ensemble(outputs, batchSize, waitMillis, inferenceMillis);
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
