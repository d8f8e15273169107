package org.chestlens.evaluation;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

import io.swagger.v3.oas.annotations.media.Schema;

/** A label as a client sends it for one image. */
@Schema(name = "LabelInput")
record LabelInput(
        @NotNull @Min(0) @Max(3) @Schema(description = "Class index 0-3 (InnerEye's final_label)", example = "1") Integer label,
        @Size(max = 2000) String comment,
        @Size(max = 200) @Schema(description = "Reference labels only: who set it") String labelledBy) {
}
