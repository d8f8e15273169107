package org.chestlens.evaluation;

import java.net.URI;
import java.util.UUID;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
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
@RequestMapping("/api/v1/calibrations")
@Tag(name = "Calibration", description = "Probabilities that mean what they say: per model version, fitted on "
        + "labelled cases")
class CalibrationController {

    private final CalibrationService calibrations;

    CalibrationController(CalibrationService calibrations) {
        this.calibrations = calibrations;
    }

    @RequiresRole(value = Role.ANALYST, action = "calibration.fit")
    @PostMapping
    @ApiResponse(responseCode = "201", description = "Fitted and stored (not active); Location names it")
    @Operation(operationId = "createCalibration",
            summary = "Fit and store a calibration of a model version", description = "Maximum likelihood on the "
            + "cohort's labelled predictions: temperature scaling of the ensemble's log-probabilities (softmax4 "
            + "models) or Platt scaling per sub-task (sigmoid3). Reports ECE with its reliability bins, NLL and "
            + "Brier score, with bootstrap 95% intervals, before calibration and after it on K cross-fitted folds "
            + "(each case calibrated by a map fitted without it). 422 (too-few-labelled-cases) below "
            + "chestlens.calibration.min-labelled-cases labelled predictions.")
    ResponseEntity<CalibrationView> fit(@Valid @RequestBody CalibrationRequest request) {
        CalibrationView view = calibrations.fit(request);
        return ResponseEntity.created(URI.create("/api/v1/calibrations/" + view.id())).body(view);
    }

    @RequiresRole(value = Role.ANALYST, action = "calibration.list")
    @GetMapping
    @Operation(operationId = "listCalibrations", summary = "Stored calibrations, newest first")
    CalibrationPage list(@RequestParam(required = false) String modelId,
                         @RequestParam(defaultValue = "20") @Min(1) @Max(100) int limit,
                         @Parameter(description = "nextCursor of the previous page")
                         @RequestParam(required = false) String cursor) {
        return calibrations.list(modelId, limit, cursor);
    }

    @RequiresRole(value = Role.ANALYST, action = "calibration.read")
    @GetMapping("/{id}")
    @Operation(operationId = "getCalibration", summary = "One stored calibration")
    CalibrationView get(@PathVariable UUID id) {
        return calibrations.find(id).orElseThrow(() -> ApiProblem.notFound("Calibration", id));
    }

    @RequiresRole(value = Role.ANALYST, action = "calibration.activate")
    @PutMapping("/{id}/active")
    @Operation(operationId = "activateCalibration",
            summary = "Make this calibration the active one of its model version", description = "From then on "
            + "every prediction of that version, new or fetched (REST, webhooks, FHIR, HL7 v2, DICOM SR), carries "
            + "calibratedProbabilities and calibratedSubTaskScores beside the unchanged raw ones, with the "
            + "calibration's id.")
    CalibrationView activate(@PathVariable UUID id) {
        return calibrations.activate(id, true);
    }

    @RequiresRole(value = Role.ANALYST, action = "calibration.deactivate")
    @DeleteMapping("/{id}/active")
    @Operation(operationId = "deactivateCalibration", summary = "Stop calibrating predictions with it")
    CalibrationView deactivate(@PathVariable UUID id) {
        return calibrations.activate(id, false);
    }
}
