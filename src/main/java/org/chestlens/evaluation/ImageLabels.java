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
        @Schema(description = "Replaced values, newest first; the newest " + ImageLabels.HISTORY_SHOWN + " of them")
        List<Label> history,
        @Schema(description = "How many replaced values are kept in all (more than are shown when over "
                + ImageLabels.HISTORY_SHOWN + ")") long historyTotal) {

    /** An image relabelled again and again (an import run in a loop) would otherwise answer megabytes. */
    static final int HISTORY_SHOWN = 100;
}
