package org.chestlens.evaluation;

import java.net.URI;
import java.util.List;
import java.util.UUID;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.security.RequiresRole;
import org.chestlens.platform.security.Role;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1/error-analyses")
@Tag(name = "Error analysis", description = "Where the model fails: a decision tree over image attributes")
class ErrorAnalysisController {

    private final ErrorAnalysisService analyses;

    ErrorAnalysisController(ErrorAnalysisService analyses) {
        this.analyses = analyses;
    }

    @RequiresRole(value = Role.ANALYST, action = "error-analysis.fit")
    @PostMapping
    @ApiResponse(responseCode = "201", description = "Fitted and stored; Location names the run",
            headers = @Header(name = "Location", description = "The created resource", schema = @Schema(type = "string")))
    @Operation(operationId = "createErrorAnalysis",
            summary = "Fit and store an error-analysis tree", description = "One shallow tree (Azure ML's "
            + "defaults: depth 3, at least 20 cases per leaf, at most 31 leaves) that predicts 'the model was wrong' "
            + "over the cohort's labelled predictions, with each node's condition, size, errors, error rate and error "
            + "coverage, and an optional heat map over one or two features (numbers in 8 bins).")
    ResponseEntity<ErrorAnalysisView> run(@Valid @RequestBody ErrorAnalysisRequest request) {
        ErrorAnalysisView view = analyses.run(request);
        return ResponseEntity.created(URI.create("/api/v1/error-analyses/" + view.id())).body(view);
    }

    @RequiresRole(value = Role.ANALYST, action = "error-analysis.features")
    @GetMapping("/features")
    @Operation(operationId = "listErrorAnalysisFeatures", summary = "The features a tree may split on")
    List<String> features() {
        return Features.names();
    }

    @RequiresRole(value = Role.ANALYST, action = "error-analysis.list")
    @GetMapping
    @Operation(operationId = "listErrorAnalyses", summary = "Stored runs, newest first")
    ErrorAnalysisPage list(@RequestParam(required = false) String modelId,
                           @RequestParam(defaultValue = "20") @Min(1) @Max(100) int limit,
                           @Parameter(description = "nextCursor of the previous page")
                           @RequestParam(required = false) String cursor) {
        return analyses.list(modelId, limit, cursor);
    }

    @RequiresRole(value = Role.ANALYST, action = "error-analysis.read")
    @GetMapping("/{id}")
    @Operation(operationId = "getErrorAnalysis", summary = "One stored run")
    ErrorAnalysisView get(@PathVariable UUID id) {
        return analyses.find(id).orElseThrow(() -> ApiProblem.notFound("Error analysis", id));
    }

    @RequiresRole(value = Role.ANALYST, action = "error-analysis.activate")
    @PutMapping("/{id}/active")
    @Operation(operationId = "activateErrorAnalysis",
            summary = "Make this run the active one of its model version", description = "From then on every "
            + "prediction of that version, new or fetched, carries the reliability of the leaf it falls in.")
    ErrorAnalysisView activate(@PathVariable UUID id) {
        return analyses.activate(id, true);
    }

    @RequiresRole(value = Role.ANALYST, action = "error-analysis.deactivate")
    @DeleteMapping("/{id}/active")
    @Operation(operationId = "deactivateErrorAnalysis", summary = "Stop using this run for reliability")
    ErrorAnalysisView deactivate(@PathVariable UUID id) {
        return analyses.activate(id, false);
    }
}
