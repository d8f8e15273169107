package org.chestlens.prediction;

import java.time.Instant;
import java.util.UUID;

import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.security.AuditedResources;
import org.chestlens.platform.security.RequiresRole;
import org.chestlens.platform.security.Role;
import org.springframework.format.annotation.DateTimeFormat;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1")
@Tag(name = "Predictions", description = "Stored images and predictions")
class PredictionController {

    private final PredictionStore store;

    PredictionController(PredictionStore store) {
        this.store = store;
    }

    @RequiresRole(value = {Role.SUBMITTER, Role.READER}, action = "image.read")
    @GetMapping("/images/{id}")
    @Operation(operationId = "getImage", summary = "An uploaded image's metadata and its predictions")
    ImageView image(@PathVariable UUID id) {
        ImageView image = store.image(id).orElseThrow(() -> ApiProblem.notFound("Image", id));
        image.predictions().forEach(p -> AuditedResources.add(p.id()));
        return image;
    }

    @RequiresRole(value = Role.READER, action = "prediction.read")
    @GetMapping("/predictions/{id}")
    @Operation(operationId = "getPrediction", summary = "One prediction")
    PredictionView prediction(@PathVariable UUID id) {
        PredictionView prediction = store.prediction(id).orElseThrow(() -> ApiProblem.notFound("Prediction", id));
        AuditedResources.add(prediction.imageId());
        return prediction;
    }

    @RequiresRole(value = Role.READER, action = "prediction.list")
    @GetMapping("/predictions")
    @Operation(operationId = "searchPredictions", summary = "Search predictions, newest first (or by a class "
            + "probability, highest first), with cursor pagination")
    PredictionPage search(
            @Parameter(description = "Only predictions of this class") @RequestParam(required = false) ChestClass predictedClass,
            @Parameter(description = "Class whose probability minProbability/maxProbability bound; the predicted class when omitted")
            @RequestParam(required = false) ChestClass probabilityOf,
            @RequestParam(required = false) @DecimalMin("0") @DecimalMax("1") Double minProbability,
            @RequestParam(required = false) @DecimalMin("0") @DecimalMax("1") Double maxProbability,
            @Parameter(description = "Created at or after this instant (ISO-8601)")
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE_TIME) Instant createdFrom,
            @Parameter(description = "Created before this instant (ISO-8601)")
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE_TIME) Instant createdTo,
            @Parameter(description = "Only predictions by this model id") @RequestParam(required = false) String modelId,
            @Parameter(description = "Only predictions with this finding flagged at their operating point (a class code)")
            @RequestParam(required = false) ChestClass flag,
            @Parameter(description = "Only predictions whose out-of-distribution flag is this")
            @RequestParam(required = false) Boolean outOfDistribution,
            @Parameter(description = "Order by this class's probability, highest first (ties by id), instead of newest first")
            @RequestParam(required = false) ChestClass sortByProbabilityOf,
            @Parameter(description = "Only predictions whose job was scored at this priority",
                    schema = @Schema(type = "string", allowableValues = {"stat", "routine"}))
            @RequestParam(required = false) @Pattern(regexp = "stat|routine") String priority,
            @RequestParam(defaultValue = "50") @Min(1) @Max(500) int limit,
            @Parameter(description = "nextCursor of the previous page") @RequestParam(required = false) String cursor) {
        PredictionPage page = store.search(new PredictionQuery(predictedClass, probabilityOf, minProbability,
                maxProbability, createdFrom, createdTo, modelId, flag, outOfDistribution, sortByProbabilityOf,
                Priority.parse(priority).orElse(null), limit, cursor));
        page.items().forEach(p -> AuditedResources.add(p.id(), p.imageId()));
        return page;
    }
}
