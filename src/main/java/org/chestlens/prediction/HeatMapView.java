package org.chestlens.prediction;

import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;

/** A prediction's class activation map as numbers, ready to draw: one value per cell of the model's view. */
@Schema(name = "ActivationHeatMap")
public record HeatMapView(
        UUID predictionId,
        UUID imageId,
        @JsonProperty("class") @Schema(description = "The output this map explains: a class (softmax4) or a sub-task (sigmoid3)")
        String explains,
        @Schema(description = "Every output a map is stored for") List<String> outputs,
        @Schema(description = "Rows of the grid") int height,
        @Schema(description = "Columns of the grid") int width,
        @Schema(description = "Smallest value of the grid") float min,
        @Schema(description = "Largest value of the grid") float max,
        @Schema(description = "The map, grid[row][column], row 0 at the top of the model's view; each cell covers "
                + "modelView.width / width x modelView.height / height pixels. Bias excluded: the mean of the grid "
                + "plus the output's bias is the fold-averaged logit, so higher means more evidence for the output")
        float[][] grid,
        ExplainedModel model,
        ModelViewState modelView) {

    @Schema(name = "ActivationHeatMapModel", description = "The model that made the prediction")
    public record ExplainedModel(String id, String version) {
    }

    /**
     * @param available whether the model's view of the image is still kept (its retention may have ended)
     */
    @Schema(name = "ActivationHeatMapModelView", description = "The picture the map is drawn on")
    public record ModelViewState(boolean available, int width, int height) {
    }
}
