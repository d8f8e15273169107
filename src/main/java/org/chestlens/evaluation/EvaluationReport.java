package org.chestlens.evaluation;

import java.util.List;
import java.util.Map;

import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/** The model against the reference labels over a cohort, each reader likewise, and their agreement. */
@Schema(name = "EvaluationReport")
record EvaluationReport(
        Cohort cohort,
        @Schema(description = "Predictions in the cohort that have a reference label") int labelledPredictions,
        Metrics.Report model,
        List<ReaderReport> readers,
        @Schema(description = "Cohen's kappa between readers, and between each reader and the model, on the images both labelled")
        List<Agreement> agreement,
        @Schema(description = "Side by side, as in the seed's study: accuracy per sub-task of the model and of each reader")
        List<Comparison> comparison,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "Present when a calibration is active for the model version: the reliability diagram "
                + "data of the raw and of the calibrated probabilities on this cohort, side by side")
        ReliabilityDiagrams reliabilityDiagrams) {

    @Schema(name = "ReliabilityDiagrams")
    public record ReliabilityDiagrams(
            @Schema(description = "The active calibration") UUID calibrationId,
            @Schema(description = "Raw probabilities: ECE, NLL, Brier and the 10 reliability bins") CalibrationQuality raw,
            @Schema(description = "The same cases through the active calibration. Cases the calibration was fitted on "
                    + "are in-sample here; its own record reports the cross-fitted (held-out) numbers")
            CalibrationQuality calibrated) {
    }

    @Schema(name = "ReaderReport")
    public record ReaderReport(String reader, int labelled, Metrics.Report metrics) {
    }

    @Schema(name = "Agreement")
    public record Agreement(String first, String second, int images, @Schema(nullable = true) Double kappa) {
    }

    @Schema(name = "SubTaskComparison")
    public record Comparison(String subTask, Double model, Map<String, Double> readers) {
    }
}
