package org.chestlens.evaluation;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import io.swagger.v3.oas.annotations.media.Schema;

/** A calibration to fit: the labelled cohort, the method, the cross-fitting folds and the bootstrap. */
@Schema(name = "CalibrationRequest")
record CalibrationRequest(
        @NotNull @Valid Cohort cohort,
        @Pattern(regexp = "temperature|platt") @Schema(allowableValues = {"temperature", "platt"},
                description = "Default: temperature for a softmax4 model, platt (per sub-task) for a sigmoid3 model")
        String method,
        @Min(2) @Max(20) @Schema(description = "Cross-fitting folds for the after-calibration quality; default 5")
        Integer folds,
        @Min(0) @Max(10000) @Schema(description = "Bootstrap resamples for the 95% intervals; default 1000")
        Integer bootstrap,
        @Schema(description = "Seed of the fold assignment and the bootstrap; default 20210714") Long seed) {

    static final int DEFAULT_FOLDS = 5;
    static final int DEFAULT_BOOTSTRAP = 1000;
    static final long DEFAULT_SEED = 20210714L;

    int foldsOrDefault() {
        return folds == null ? DEFAULT_FOLDS : folds;
    }

    int bootstrapOrDefault() {
        return bootstrap == null ? DEFAULT_BOOTSTRAP : bootstrap;
    }

    long seedOrDefault() {
        return seed == null ? DEFAULT_SEED : seed;
    }
}
