package org.chestlens.prediction;

import java.util.UUID;

import io.swagger.v3.oas.annotations.media.Schema;

/** How often the model was wrong on cases like this one, from the active error analysis of its version. */
@Schema(name = "Reliability")
public record Reliability(
        @Schema(description = "The error-analysis run whose tree this comes from") UUID analysisId,
        @Schema(description = "The tree leaf the case falls in, in words", example = "distanceSourceToDetector <= 1400 and viewPosition = AP")
        String cases,
        @Schema(description = "Share of the leaf's labelled cases the model got wrong") double errorRate,
        @Schema(description = "Labelled cases in the leaf") int size,
        @Schema(description = "Error rate over the whole analysed cohort") double overallErrorRate,
        @Schema(description = "The leaf's error rate is clearly above the overall rate (at least 1.5 times it and "
                + "10 percentage points more)") boolean flagged,
        @Schema(example = "cases like this: 31% wrong, n = 58") String summary) {
}
