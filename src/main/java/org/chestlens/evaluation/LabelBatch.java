package org.chestlens.evaluation;

import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

import io.swagger.v3.oas.annotations.media.Schema;

/** Many labels in one request: stored all together or not at all. */
@Schema(name = "LabelBatch")
record LabelBatch(@NotEmpty @Size(max = LabelBatch.MAX_LABELS) List<@Valid @NotNull Entry> labels) {

    static final int MAX_LABELS = 100_000;

    @Schema(name = "LabelBatchEntry")
    public record Entry(
            @NotNull @Size(max = 128) @Schema(description = "chestlens image id or DICOM SOP Instance UID") String image,
            @Pattern(regexp = LabelStore.READER_ID) @Schema(description = "Reader id; omit for the reference label") String reader,
            @NotNull @Min(0) @Max(3) @Schema(description = "Class index 0-3") Integer label,
            @Size(max = 2000) String comment,
            @Size(max = 200) String labelledBy) {

        LabelInput value() {
            return new LabelInput(label, comment, labelledBy);
        }
    }
}
