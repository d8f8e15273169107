package org.chestlens.prediction;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/**
 * One finding's threshold: a score at or above it makes the finding positive (a flag). Sensitivity and
 * specificity are what it achieved on the labelled set it was measured on, with bootstrap 95% intervals when
 * it was derived here.
 *
 * @param finding a class code, CVX1..CVX3 (or CVX0)
 */
@Schema(name = "OperatingPoint")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OperatingPoint(
        String finding,
        double threshold,
        Double sensitivity,
        Double specificity,
        Integer positives,
        Integer negatives,
        @Schema(description = "Bootstrap 95% interval of the sensitivity at this threshold") Interval sensitivityInterval,
        @Schema(description = "Bootstrap 95% interval of the specificity at this threshold") Interval specificityInterval,
        @Schema(description = "Bootstrap 95% interval of the threshold derived again on each resample") Interval thresholdInterval,
        @Schema(description = "The labelled set it was measured on") String measuredOn) {

    @Schema(name = "OperatingPointInterval")
    public record Interval(double low, double high) {
    }

    public ChestClass findingClass() {
        return ChestClass.ofCode(finding).orElseThrow();
    }
}
