package org.chestlens.prediction;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import tools.jackson.databind.JsonNode;

/**
 * A numbered set of operating points of one model version. Version 1 may come from the model package; later
 * versions are derived from an evaluation cohort. The active one flags new predictions.
 */
@Schema(name = "OperatingPointConfiguration")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OperatingPointConfiguration(
        UUID id,
        String modelId,
        String modelVersion,
        @Schema(description = "1, 2, ... per model version") int version,
        @Schema(allowableValues = {"package", "derived"}) String source,
        @Schema(description = "What is compared with the thresholds", allowableValues = "probabilities") String scoreSource,
        boolean active,
        Instant createdAt,
        Instant activatedAt,
        Double targetSensitivity,
        @Schema(description = "The evaluation cohort it was derived from (the filters of POST /api/v1/evaluations)",
                type = "object", additionalPropertiesSchema = Object.class, implementation = Object.class)
        JsonNode cohort,
        @Schema(description = "Labelled predictions it was derived from") Integer labelled,
        Integer bootstrap,
        Long seed,
        List<OperatingPoint> points) {
}
