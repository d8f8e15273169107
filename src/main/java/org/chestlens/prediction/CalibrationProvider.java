package org.chestlens.prediction;

import java.util.Optional;
import java.util.UUID;

/**
 * Implemented by the evaluation feature (which depends on this one, not the other way round): maps a
 * prediction's raw class probabilities through the calibration active for its model version. Also the
 * one place other features (operating points) turn raw scores into calibrated ones.
 */
public interface CalibrationProvider {

    /**
     * @param modelVersionId the model version's internal id
     * @param probabilities raw class probabilities CVX0..CVX3 as stored
     * @return the calibrated scores; empty when no calibration is active for the version
     */
    Optional<CalibratedScores> calibrate(long modelVersionId, double[] probabilities);

    /**
     * Maps raw probabilities through one calibration, active or not: operating points derived on calibrated
     * scores keep using the calibration they were derived on.
     *
     * @param calibrationId the calibration's id
     * @param probabilities raw class probabilities CVX0..CVX3 as stored
     * @return the calibrated scores; empty when no such calibration exists
     */
    Optional<CalibratedScores> calibrateWith(UUID calibrationId, double[] probabilities);
}
