package org.chestlens.prediction;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.security.AuditedResources;
import org.chestlens.platform.security.RequiresRole;
import org.chestlens.platform.security.Role;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * What the model saw and where it looked: the model's view of an image and a prediction's class
 * activation map, as a picture or as numbers. Both never change once stored (a view can only
 * expire), so answers carry an ETag and a repeated request with If-None-Match costs a 304.
 */
@RestController
@RequestMapping("/api/v1")
@Tag(name = "Predictions", description = "Stored images and predictions")
class ExplanationController {

    private static final String PROBLEM_JSON = "application/problem+json";
    /** Patient-derived pixels: caches of the client only, and always revalidated by ETag. */
    private static final CacheControl PRIVATE = CacheControl.noCache().cachePrivate();

    private final Explanations explanations;
    private final ModelViews views;

    ExplanationController(Explanations explanations, ModelViews views) {
        this.explanations = explanations;
        this.views = views;
    }

    @RequiresRole(value = Role.READER, action = "prediction.heatmap")
    @GetMapping(value = "/predictions/{id}/heatmap", produces = {MediaType.IMAGE_PNG_VALUE, MediaType.APPLICATION_JSON_VALUE})
    @Operation(operationId = "getPredictionHeatMap", summary = "Where the model found the evidence for a class",
            description = """
                    The prediction's class activation map (DenseNet-121: 7 x 7 cells of 32 x 32 pixels, averaged over \
                    the ensemble's folds). format=png: the model's view of the image with the map upsampled \
                    (bilinear), scaled from its minimum to its maximum, blended in the perceptually uniform viridis \
                    colour map (dark blue: least evidence, yellow: most), and a legend strip below (minimum, colour \
                    bar, maximum, class); once the model view has expired the map is drawn alone. format=json: the \
                    grid itself with its minimum and maximum. A map shows where evidence lies, not a finding; \
                    maps of a model that looks at the wrong places say so too. Predictions of a model package \
                    without maps (format 1) answer 409 explanation-unavailable.""")
    @ApiResponse(responseCode = "200", description = "The heat map (format=png) or its grid (format=json)",
            headers = @Header(name = "ETag", description = "Send as If-None-Match to revalidate",
                    schema = @Schema(type = "string")),
            content = {@Content(mediaType = MediaType.IMAGE_PNG_VALUE, schema = @Schema(type = "string", format = "binary")),
                    @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = HeatMapView.class))})
    @ApiResponse(responseCode = "304", description = "Not modified (If-None-Match matched the ETag)")
    @ApiResponse(responseCode = "400", description = "Unknown class or format",
            content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "404", description = "No prediction with this id",
            content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "409", description = "The model that made this prediction has no class activation "
            + "maps (explanation-unavailable)",
            content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = ProblemDetail.class)))
    ResponseEntity<?> heatMap(
            @PathVariable UUID id,
            @Parameter(name = "class", description = "The output to explain: CVX0..CVX3 (softmax4 models) or "
                    + "CVX03vs12, CVX0vs3, CVX1vs2 (sigmoid3 models); the predicted class when omitted",
                    schema = @Schema(allowableValues = {"CVX0", "CVX1", "CVX2", "CVX3", "CVX03vs12", "CVX0vs3",
                            "CVX1vs2"}))
            @RequestParam(name = "class", required = false) String output,
            @Parameter(description = "png: the picture; json: the numbers",
                    schema = @Schema(allowableValues = {"png", "json"}, defaultValue = "png"))
            @RequestParam(defaultValue = "png") String format) {
        if (!format.equals("png") && !format.equals("json")) {
            throw invalid("format must be png or json.");
        }
        Explanations.Explained explained = explanations.find(id)
                .orElseThrow(() -> ApiProblem.notFound("Prediction", id));
        AuditedResources.add(explained.imageId());
        if (explained.maps() == null) {
            throw new ApiProblem(HttpStatus.CONFLICT, "explanation-unavailable", "No explanation for this prediction",
                    "Model " + explained.modelId() + " " + explained.modelVersion() + " stores no class activation "
                            + "maps (its package is format 1, or maps were switched off when it scored). Score the "
                            + "image with a format-2 package to get them.",
                    Map.of("modelId", explained.modelId(), "modelVersion", explained.modelVersion()), null);
        }
        String explains = output == null ? Explanations.defaultOutput(explained) : output;
        ActivationMaps maps = explained.maps();
        float[] map = maps.map(explains).orElseThrow(() -> invalid("class must be one of " + maps.outputs()
                + " for a prediction of " + explained.modelId() + "."));
        Optional<ModelViews.ModelView> view = views.find(explained.imageId());
        String etag = "\"" + id + "-" + explains + "-" + format + "-" + (view.isPresent() ? "v" : "n") + "\"";
        ResponseEntity.BodyBuilder ok = ResponseEntity.ok().eTag(etag).cacheControl(PRIVATE);
        if (format.equals("json")) {
            return ok.contentType(MediaType.APPLICATION_JSON).body(json(explained, explains, map, view));
        }
        int width = view.map(ModelViews.ModelView::width).orElse(224);
        int height = view.map(ModelViews.ModelView::height).orElse(224);
        int[] grey = view.map(v -> Png.greyValues(v.png(), v.width(), v.height())).orElse(null);
        int[] pixels = HeatMapRenderer.render(map, maps.height(), maps.width(), grey, width, height, explains);
        return ok.contentType(MediaType.IMAGE_PNG)
                .body(Png.rgb(pixels, width, height + HeatMapRenderer.LEGEND_HEIGHT));
    }

    @RequiresRole(value = Role.READER, action = "image.model-view")
    @GetMapping(value = "/images/{id}/model-view", produces = MediaType.IMAGE_PNG_VALUE)
    @Operation(operationId = "getImageModelView", summary = "The picture the model scored",
            description = """
                    The pre-processed input the model scored (224 x 224 after InnerEye's resize and centre crop, \
                    8-bit grey PNG). Kept for chestlens.retention.model-view (30 days by default) after the image's \
                    latest upload, then purged; the upload itself is never kept.""")
    @ApiResponse(responseCode = "200", description = "The model's view (8-bit grey PNG)",
            headers = @Header(name = "ETag", description = "Send as If-None-Match to revalidate",
                    schema = @Schema(type = "string")),
            content = @Content(mediaType = MediaType.IMAGE_PNG_VALUE, schema = @Schema(type = "string", format = "binary")))
    @ApiResponse(responseCode = "304", description = "Not modified (If-None-Match matched the ETag)")
    @ApiResponse(responseCode = "404", description = "No such image, or its model view was not kept or has expired",
            content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = ProblemDetail.class)))
    ResponseEntity<byte[]> modelView(@PathVariable UUID id) {
        ModelViews.ModelView view = views.find(id).orElseThrow(() -> new ApiProblem(HttpStatus.NOT_FOUND,
                "not-found", "Model view not found", "No model view is kept for image " + id
                + ": no such image, retention is off, or it has expired."));
        return ResponseEntity.ok().eTag("\"" + id + "-" + view.createdAt().toEpochMilli() + "\"").cacheControl(PRIVATE)
                .contentType(MediaType.IMAGE_PNG).body(view.png());
    }

    private static HeatMapView json(Explanations.Explained e, String explains, float[] map,
                                    Optional<ModelViews.ModelView> view) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : map) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        ActivationMaps maps = e.maps();
        return new HeatMapView(e.predictionId(), e.imageId(), explains, maps.outputs(), maps.height(), maps.width(),
                min, max, Explanations.rows(map, maps.height(), maps.width()),
                new HeatMapView.ExplainedModel(e.modelId(), e.modelVersion()),
                new HeatMapView.ModelViewState(view.isPresent(), view.map(ModelViews.ModelView::width).orElse(224),
                        view.map(ModelViews.ModelView::height).orElse(224)));
    }

    private static ApiProblem invalid(String detail) {
        return new ApiProblem(HttpStatus.BAD_REQUEST, "invalid-parameter", "Invalid parameter", detail);
    }
}
