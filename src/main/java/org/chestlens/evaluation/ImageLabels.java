package org.chestlens.evaluation;

import java.util.List;
import java.util.UUID;

import io.swagger.v3.oas.annotations.media.Schema;

/** All labels of one image, with the values they replaced. */
@Schema(name = "ImageLabels")
record ImageLabels(
        UUID imageId,
        @Schema(nullable = true) Label reference,
        List<Label> readers,
        @Schema(description = "Replaced values, newest first") List<Label> history) {
}
