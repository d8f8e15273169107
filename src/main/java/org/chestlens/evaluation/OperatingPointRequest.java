package org.chestlens.evaluation;

import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/** Operating points to derive from a cohort's labelled predictions and store as a new configuration. */
@Schema(name = "OperatingPointRequest")
record OperatingPointRequest(
        @NotNull @Valid Cohort cohort,
        @NotNull @DecimalMin(value = "0", inclusive = false) @DecimalMax("1")
        @Schema(description = "Sensitivity each finding's threshold must reach on the cohort", example = "0.9")
        Double targetSensitivity,
        @Min(0) @Max(10000) @Schema(description = "Bootstrap resamples for the 95% intervals; default 1000")
        Integer bootstrap,
        @Schema(description = "Bootstrap seed: the same seed and data give the same intervals; default 20210714")
        Long seed,
        @Schema(description = "Make the new configuration the active one at once (default false: activate it "
                + "with PUT /api/v1/operating-points/{id}/active); a model version's first configuration is always "
                + "active")
        Boolean activate) {

    int resamples() {
        return bootstrap == null ? 1000 : bootstrap;
    }

    long bootstrapSeed() {
        return seed == null ? 20210714L : seed;
    }
}
