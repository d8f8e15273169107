package org.chestlens.prediction;

import java.util.UUID;

/**
 * A prediction's probabilities as the active calibration of its model version maps them, computed on
 * read from the stored raw probabilities (which never change).
 *
 * @param calibrationId the calibration that produced them
 * @param method {@code temperature} or {@code platt}
 * @param probabilities calibrated class probabilities, CVX0..CVX3; they sum to 1
 */
public record CalibratedScores(UUID calibrationId, String method, double[] probabilities) {

    /** The hierarchy's sub-task scores of the calibrated probabilities, derived as from the raw ones. */
    public PredictionView.SubTaskScoresView subTaskScores() {
        return PredictionView.SubTaskScoresView.of(probabilities);
    }
}
