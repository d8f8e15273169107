package org.chestlens.prediction;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Published (synchronously, inside the transaction) when a prediction is stored for the first time;
 * a repeated result for the same image and model version publishes nothing. Listeners that write to
 * the database join that transaction, so what they write commits or rolls back with the prediction.
 * Carries no patient identity.
 *
 * @param probabilities by class code, CVX0..CVX3
 * @param notice the model's notice (demonstration or untrained model), null when it has none
 * @param outOfDistribution the image's out-of-distribution score; null when the model cannot tell
 * @param flags the findings positive at the model version's active operating point; null when none is active
 * @param calibrationId the calibration active for the model version when the prediction was stored; null when none
 * @param calibratedProbabilities the probabilities mapped through that calibration, by class code; null when none
 */
public record PredictionCompleted(UUID predictionId, UUID imageId, String modelId, String modelVersion,
                                  ChestClass predictedClass, Map<String, Double> probabilities, double confidence,
                                  String notice, OutOfDistribution outOfDistribution, List<String> flags,
                                  Instant occurredAt, UUID calibrationId,
                                  Map<String, Double> calibratedProbabilities) {
}
