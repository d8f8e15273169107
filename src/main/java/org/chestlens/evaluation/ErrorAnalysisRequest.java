package org.chestlens.evaluation;

import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

import io.swagger.v3.oas.annotations.media.Schema;

/** An error-analysis run to fit: cohort, features, tree limits (Azure ML's defaults when omitted). */
@Schema(name = "ErrorAnalysisRequest")
record ErrorAnalysisRequest(
        @NotNull @Valid Cohort cohort,
        @NotEmpty @Size(max = 20) @Schema(description = "Features the tree may split on (see the features endpoint)",
                example = "[\"distanceSourceToDetector\", \"viewPosition\", \"manufacturer\", \"confidence\"]")
        List<@NotNull String> features,
        @Min(1) @Max(10) @Schema(description = "Default 3") Integer maxDepth,
        @Min(1) @Schema(description = "Default 20") Integer minSamplesPerLeaf,
        @Min(2) @Max(255) @Schema(description = "Default 31") Integer maxLeaves,
        @DecimalMin("0") @DecimalMax("10") @Schema(description = "A split is taken only when its sides' error rates "
                + "differ with |z| at least this (two-proportion z-test); default 2.58 (p < 0.01), 0 for none")
        Double minSplitZ,
        @Size(max = 2) @Schema(description = "One or two features for the error heat map; none for no map")
        List<@NotNull String> heatMap) {

    ErrorTree.Parameters parameters() {
        ErrorTree.Parameters d = ErrorTree.Parameters.DEFAULTS;
        return new ErrorTree.Parameters(maxDepth == null ? d.maxDepth() : maxDepth,
                minSamplesPerLeaf == null ? d.minSamplesPerLeaf() : minSamplesPerLeaf,
                maxLeaves == null ? d.maxLeaves() : maxLeaves, minSplitZ == null ? d.minSplitZ() : minSplitZ);
    }
}
