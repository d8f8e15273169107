package org.chestlens.evaluation;

import java.time.Instant;

import io.swagger.v3.oas.annotations.media.Schema;

/**
 * Which predictions an evaluation covers: one model version (the newest one of the model when no
 * version is given), images received in a time range, and equality filters on stored image metadata.
 */
@Schema(name = "Cohort")
record Cohort(
        String modelId,
        @Schema(description = "Model version; the newest registered version of the model when omitted") String modelVersion,
        Instant receivedFrom,
        Instant receivedTo,
        String modality,
        String viewPosition,
        String manufacturer,
        String manufacturerModelName,
        String institutionName,
        String patientSex) {
}
