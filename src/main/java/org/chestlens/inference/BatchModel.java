package org.chestlens.inference;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * A model as the batch worker drives it, so the worker can be run against a stand-in forward.
 *
 * @param id the model id, for thread names and logs
 * @param forward the forward pass of every fold
 * @param formulation how the raw outputs become class probabilities
 * @param warmUp run on the worker thread before the first batch; returns the images per second it measured
 * @param outOfDistribution scores each image's distance from the training set; null when the model has none
 */
record BatchModel(String id, Forward forward, OutputFormulation formulation, DoubleSupplier warmUp,
                  MahalanobisScorer outOfDistribution) {

    BatchModel(String id, Forward forward, OutputFormulation formulation, DoubleSupplier warmUp) {
        this(id, forward, formulation, warmUp, null);
    }

    /** One ensemble prediction per image of the batch, with its out-of-distribution score where there is one. */
    List<EnsemblePrediction> ensemble(FoldOutputs outputs, int batchSize, double[] waitMillis, double inferenceMillis) {
        return MahalanobisScorer.attach(outOfDistribution, outputs,
                formulation.ensemble(outputs, batchSize, waitMillis, inferenceMillis));
    }

    /** Raw outputs of every fold (and their class activation maps, where the package has them) for a batch. */
    @FunctionalInterface
    interface Forward {
        FoldOutputs forward(List<ModelInput> batch);
    }

    static BatchModel of(ServedModel model, int maxBatchSize) {
        int crop = model.manifest().preprocessing().centerCrop();
        return new BatchModel(model.manifest().id(), model::forward, model.formulation(),
                () -> warmUp(model::forward, crop, maxBatchSize), model.outOfDistribution());
    }

    /**
     * Runs two rounds of forwards at every batch size from 1 to the maximum, then one timed forward
     * of a full batch ({@code 2 * maxBatchSize + 1} forwards, each through every fold). libtorch sets
     * up per-thread state on a thread's first forward, so this runs on the worker itself; and
     * TorchScript's profiling executor specialises the graph per input shape, so a batch size met
     * for the first time under load would pay for slow profiling passes.
     */
    static double warmUp(Forward forward, int crop, int maxBatchSize) {
        List<ModelInput> inputs = new ArrayList<>();
        for (int i = 0; i < maxBatchSize; i++) {
            float[] pixels = new float[crop * crop];
            for (int p = 0; p < pixels.length; p++) {
                pixels[p] = ((p + 31 * i) % 255) / 255f;
            }
            inputs.add(new ModelInput(pixels, crop, crop));
        }
        for (int round = 0; round < 2; round++) {
            for (int size = 1; size <= maxBatchSize; size++) {
                forward.forward(inputs.subList(0, size));
            }
        }
        long start = System.nanoTime();
        forward.forward(inputs);
        return inputs.size() * 1e9 / (System.nanoTime() - start);
    }
}
