package org.chestlens.inference;

import org.chestlens.prediction.ActivationMaps;
import org.chestlens.prediction.ChestClass;
import org.chestlens.prediction.OutOfDistribution;

/**
 * The ensemble's answer for one image.
 *
 * @param probabilities the four class probabilities, averaged over folds
 * @param predictedClass argmax of {@code probabilities}
 * @param subTaskScores hierarchy scores derived from the averaged probabilities
 * @param confidence the probability of the predicted class
 * @param foldSpread per class, the largest minus the smallest fold probability: how much the
 *                   cross-validation folds disagree
 * @param maps the class activation maps averaged over folds; null when the model has none
 * @param waitMillis time the image waited for the model
 * @param inferenceMillis time of the forward passes of the batch the image was in
 * @param outOfDistribution how far the image lies from the training set; null when the package cannot tell
 */
record EnsemblePrediction(
        double[] probabilities,
        ChestClass predictedClass,
        SubTaskScores subTaskScores,
        double confidence,
        double[] foldSpread,
        ActivationMaps maps,
        double waitMillis,
        double inferenceMillis,
        OutOfDistribution outOfDistribution) {

    EnsemblePrediction withOutOfDistribution(OutOfDistribution score) {
        return new EnsemblePrediction(probabilities, predictedClass, subTaskScores, confidence, foldSpread, maps,
                waitMillis, inferenceMillis, score);
    }

    /** Averages fold probabilities first, then takes argmax and sub-task scores (docs/innereye.md §2). */
    public static EnsemblePrediction fromFolds(double[][] foldProbabilities, ActivationMaps maps, double waitMillis,
                                               double inferenceMillis) {
        int classes = foldProbabilities[0].length;
        double[] mean = new double[classes];
        double[] min = new double[classes];
        double[] max = new double[classes];
        java.util.Arrays.fill(min, Double.POSITIVE_INFINITY);
        java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
        for (double[] fold : foldProbabilities) {
            for (int c = 0; c < classes; c++) {
                mean[c] += fold[c] / foldProbabilities.length;
                min[c] = Math.min(min[c], fold[c]);
                max[c] = Math.max(max[c], fold[c]);
            }
        }
        int best = 0;
        for (int c = 1; c < classes; c++) {
            if (mean[c] > mean[best]) {
                best = c;
            }
        }
        double[] spread = new double[classes];
        for (int c = 0; c < classes; c++) {
            spread[c] = max[c] - min[c];
        }
        return new EnsemblePrediction(mean, ChestClass.ofIndex(best), SubTaskScores.fromClassProbabilities(mean),
                mean[best], spread, maps, waitMillis, inferenceMillis, null);
    }
}
