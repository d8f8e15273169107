package org.chestlens.inference;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonValue;

/** How a model's raw outputs become the four class probabilities (docs/innereye.md §2). */
enum OutputFormulation {

    /** Four logits, softmax, class = argmax. The current InnerEye CovidModel. */
    SOFTMAX4("softmax4", 4) {
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
    SIGMOID3("sigmoid3", 3) {
        @Override
        public double[] classProbabilities(float[] logits) {
            return fromBranchProbabilities(sigmoid(logits[0]), sigmoid(logits[1]), sigmoid(logits[2]));
        }
    };

    private final String id;
    private final int outputCount;

    OutputFormulation(String id, int outputCount) {
        this.id = id;
        this.outputCount = outputCount;
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

    /** Turns raw fold outputs ({@code [fold][image][output]}) into one ensemble prediction per image. */
    List<EnsemblePrediction> ensemble(float[][][] outputs, int batchSize, double[] waitMillis, double inferenceMillis) {
        List<EnsemblePrediction> predictions = new ArrayList<>(batchSize);
        for (int i = 0; i < batchSize; i++) {
            double[][] foldProbabilities = new double[outputs.length][];
            for (int f = 0; f < outputs.length; f++) {
                foldProbabilities[f] = classProbabilities(outputs[f][i]);
            }
            predictions.add(EnsemblePrediction.fromFolds(foldProbabilities, waitMillis[i], inferenceMillis));
        }
        return predictions;
    }

    static double[] fromBranchProbabilities(double s1, double s2, double s3) {
        return new double[] {(1 - s1) * (1 - s2), s1 * (1 - s3), s1 * s3, (1 - s1) * s2};
    }

    private static double sigmoid(float x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }
}
