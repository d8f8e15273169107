package org.chestlens.inference;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonValue;
import org.chestlens.prediction.ActivationMaps;

/** How a model's raw outputs become the four class probabilities (docs/innereye.md §2). */
enum OutputFormulation {

    /** Four logits, softmax, class = argmax. The current InnerEye CovidModel. */
    SOFTMAX4("softmax4", 4, List.of("CVX0", "CVX1", "CVX2", "CVX3")) {
        @Override
        public double[] classProbabilities(float[] logits) {
            double max = Double.NEGATIVE_INFINITY;
            for (float logit : logits) {
                max = Math.max(max, logit);
            }
            double[] p = new double[4];
            double sum = 0;
            for (int i = 0; i < 4; i++) {
                p[i] = Math.exp(logits[i] - max);
                sum += p[i];
            }
            for (int i = 0; i < 4; i++) {
                p[i] /= sum;
            }
            return p;
        }
    },

    /**
     * Three sigmoid outputs, one per branch of the decision tree (s1 = P(CVX12), s2 = P(CVX3 | CVX03),
     * s3 = P(CVX2 | CVX12)); class probabilities are the products along the tree.
     */
    SIGMOID3("sigmoid3", 3, List.of("CVX03vs12", "CVX0vs3", "CVX1vs2")) {
        @Override
        public double[] classProbabilities(float[] logits) {
            return fromBranchProbabilities(sigmoid(logits[0]), sigmoid(logits[1]), sigmoid(logits[2]));
        }
    };

    private final String id;
    private final int outputCount;
    private final List<String> outputNames;

    OutputFormulation(String id, int outputCount, List<String> outputNames) {
        this.id = id;
        this.outputCount = outputCount;
        this.outputNames = outputNames;
    }

    /**
     * What each raw output (and so each class activation map) stands for: a class for softmax4, a
     * sub-task of the decision hierarchy for sigmoid3 (named as the API names the sub-task scores).
     */
    List<String> outputNames() {
        return outputNames;
    }

    public abstract double[] classProbabilities(float[] logits);

    @JsonValue
    public String id() {
        return id;
    }

    public int outputCount() {
        return outputCount;
    }

    public static OutputFormulation fromId(String id) {
        for (OutputFormulation formulation : values()) {
            if (formulation.id.equals(id)) {
                return formulation;
            }
        }
        throw new IllegalArgumentException("Unknown output formulation '" + id + "' (expected softmax4 or sigmoid3)");
    }

    /**
     * Turns raw fold outputs into one ensemble prediction per image. Class activation maps are
     * averaged over folds like the probabilities; a map explains a raw output (a logit), so the
     * average of the maps explains the average logit.
     */
    List<EnsemblePrediction> ensemble(FoldOutputs outputs, int batchSize, double[] waitMillis, double inferenceMillis) {
        float[][][] logits = outputs.logits();
        List<EnsemblePrediction> predictions = new ArrayList<>(batchSize);
        for (int i = 0; i < batchSize; i++) {
            double[][] foldProbabilities = new double[logits.length][];
            for (int f = 0; f < logits.length; f++) {
                foldProbabilities[f] = classProbabilities(logits[f][i]);
            }
            ActivationMaps maps = outputs.maps() == null ? null
                    : new ActivationMaps(outputNames, outputs.mapHeight(), outputs.mapWidth(),
                            foldMean(outputs.maps(), i));
            predictions.add(EnsemblePrediction.fromFolds(foldProbabilities, maps, waitMillis[i], inferenceMillis));
        }
        return predictions;
    }

    private static float[] foldMean(float[][][] maps, int image) {
        double[] sum = new double[maps[0][image].length];
        for (float[][] fold : maps) {
            float[] map = fold[image];
            for (int v = 0; v < sum.length; v++) {
                sum[v] += map[v];
            }
        }
        float[] mean = new float[sum.length];
        for (int v = 0; v < sum.length; v++) {
            mean[v] = (float) (sum[v] / maps.length);
        }
        return mean;
    }

    static double[] fromBranchProbabilities(double s1, double s2, double s3) {
        return new double[] {(1 - s1) * (1 - s2), s1 * (1 - s3), s1 * s3, (1 - s1) * s2};
    }

    private static double sigmoid(float x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }
}
