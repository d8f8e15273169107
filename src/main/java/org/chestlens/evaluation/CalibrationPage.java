package org.chestlens.evaluation;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/** A page of stored calibrations, newest first. */
record CalibrationPage(
        List<CalibrationView> items,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "Opaque cursor of the next page; absent on the last page", nullable = true)
        String nextCursor) {
}
