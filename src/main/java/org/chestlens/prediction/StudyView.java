package org.chestlens.prediction;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/** Every image of one study with its predictions, and per model version a summary over the study. */
@Schema(name = "Study")
record StudyView(
        @Schema(description = "Images of the study, oldest first") List<ImageView> images,
        @Schema(description = "One summary per model version that scored images of the study") List<Summary> summaries) {

    @Schema(name = "StudySummary")
    record Summary(
            PredictionView.ModelRef model,
            @Schema(description = "Images of the study this model version scored") int scoredImages,
            @Schema(description = "How many of them are frontal (View Position PA or AP)") int frontalImages,
            @Schema(description = "The class with the highest mean probability over the frontal images (over all "
                    + "scored images when none is frontal)")
            PredictionView.ClassRef mostLikelyClass,
            @Schema(description = "Whether mostLikelyClass comes from frontal images only") boolean fromFrontalImages,
            @Schema(description = "Per class, the highest probability any image of the study got")
            Map<String, Double> highestProbabilities,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @Schema(description = "The reliability with the highest error rate among the study's predictions; "
                    + "absent when none has one")
            Reliability worstReliability) {
    }
}
