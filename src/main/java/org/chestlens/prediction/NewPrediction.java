package org.chestlens.prediction;

/**
 * A model's answer for one image, ready to store.
 *
 * @param probabilities CVX0..CVX3
 * @param foldSpread per class, largest minus smallest fold probability
 * @param activationMaps the fold-averaged class activation maps; null when the model has none
 * @param outOfDistribution how far the image lies from the training set; null when the model cannot tell or the
 *                          check is off
 */
public record NewPrediction(String modelId, String modelVersion, double[] probabilities, ChestClass predictedClass,
                            double scoreCvx03vs12, Double scoreCvx0vs3, Double scoreCvx1vs2, double confidence,
                            double[] foldSpread, double decodeMillis, double waitMillis, double inferenceMillis,
                            ActivationMaps activationMaps, OutOfDistribution outOfDistribution) {

    /** The same prediction without an out-of-distribution score (a model package without the statistics). */
    public NewPrediction(String modelId, String modelVersion, double[] probabilities, ChestClass predictedClass,
                         double scoreCvx03vs12, Double scoreCvx0vs3, Double scoreCvx1vs2, double confidence,
                         double[] foldSpread, double decodeMillis, double waitMillis, double inferenceMillis,
                         ActivationMaps activationMaps) {
        this(modelId, modelVersion, probabilities, predictedClass, scoreCvx03vs12, scoreCvx0vs3, scoreCvx1vs2,
                confidence, foldSpread, decodeMillis, waitMillis, inferenceMillis, activationMaps, null);
    }
}
