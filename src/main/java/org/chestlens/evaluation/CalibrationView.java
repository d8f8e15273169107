package org.chestlens.evaluation;

import java.time.Instant;
import java.util.UUID;

import io.swagger.v3.oas.annotations.media.Schema;

/** A stored calibration of a model version with what produced it and how well it calibrates. */
@Schema(name = "Calibration")
record CalibrationView(
        UUID id,
        String modelId,
        String modelVersion,
        @Schema(description = "1, 2, ... per model version, in the order they were fitted") int version,
        @Schema(allowableValues = {"temperature", "platt"}) String method,
        @Schema(description = "Fitted on every labelled case of the cohort; this is what predictions use")
        Calibrator.Parameters parameters,
        Cohort cohort,
        @Schema(description = "Who fitted it (kind:name of the authenticated caller)") String createdBy,
        Instant createdAt,
        @Schema(description = "Whether predictions of the model version carry calibrated probabilities from it")
        boolean active,
        @Schema(description = "Labelled predictions of the cohort it was fitted and measured on") int labelledCases,
        @Schema(description = "Cross-fitting folds: each case's after-calibration probabilities come from a map fitted "
                + "on the other folds only") int folds,
        long seed,
        int bootstrapResamples,
        @Schema(description = "The raw probabilities on the cohort") CalibrationQuality before,
        @Schema(description = "The cross-fitted calibrated probabilities on the same cases (each case calibrated by a "
                + "map that never saw it)") CalibrationQuality after,
        @Schema(description = "Cases whose most probable class differs after calibration (always 0 for temperature "
                + "scaling, which keeps the order of the classes)") int predictedClassChanges) {

    /** What the result column keeps: everything computed at fit time. */
    record Result(int labelledCases, int folds, long seed, int bootstrapResamples, CalibrationQuality before,
                  CalibrationQuality after, int predictedClassChanges) {
    }
}
