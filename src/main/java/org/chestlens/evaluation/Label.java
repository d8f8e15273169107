package org.chestlens.evaluation;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/** One stored label: the reference label (reader null) or one reader's. */
@Schema(name = "Label")
@JsonInclude(JsonInclude.Include.NON_NULL)
record Label(
        @Schema(description = "The reader's id; absent for the reference label") String reader,
        @Schema(description = "InnerEye class index: 0 CVX0 normal, 1 CVX1 classic/probable COVID-19, "
                + "2 CVX2 indeterminate, 3 CVX3 non-COVID abnormality", minimum = "0", maximum = "3") int label,
        @Schema(description = "CVX0..CVX3") String code,
        String comment,
        @Schema(description = "Reference label: who set it (e.g. consensus of three radiologists)") String labelledBy,
        Instant labelledAt,
        @Schema(description = "History entries only: when this value was replaced") Instant replacedAt) {
}
