package org.chestlens.prediction;

/**
 * A model's answer for one image, ready to store.
 *
 * @param probabilities CVX0..CVX3
 * @param foldSpread per class, largest minus smallest fold probability
 * @param activationMaps the fold-averaged class activation maps; null when the model has none
 */
public record NewPrediction(String modelId, String modelVersion, double[] probabilities, ChestClass predictedClass,
                            double scoreCvx03vs12, Double scoreCvx0vs3, Double scoreCvx1vs2, double confidence,
                            double[] foldSpread, double decodeMillis, double waitMillis, double inferenceMillis,
                            ActivationMaps activationMaps) {
}
