package org.chestlens.evaluation;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.security.RequiresRole;
import org.chestlens.platform.security.Role;
import org.chestlens.prediction.OperatingPointConfiguration;
import org.chestlens.prediction.OperatingPoints;
import org.chestlens.prediction.ScoreSource;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
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
@RequestMapping("/api/v1/operating-points")
@Tag(name = "Operating points", description = "Thresholds that turn scores into flags, per model version")
class OperatingPointController {

    private final CohortQuery cohorts;
    private final OperatingPoints operatingPoints;
    private final CalibrationService calibrations;

    OperatingPointController(CohortQuery cohorts, OperatingPoints operatingPoints, CalibrationService calibrations) {
        this.calibrations = calibrations;
        this.cohorts = cohorts;
        this.operatingPoints = operatingPoints;
    }

    @RequiresRole(value = Role.ANALYST, action = "operating-point.derive")
    @PostMapping
    @ApiResponse(responseCode = "201", description = "Derived and stored as the model version's next configuration; "
            + "Location names it")
    @ApiResponse(responseCode = "422", description = "No labelled prediction in the cohort, or no finding with both "
            + "positive and negative cases",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @Operation(operationId = "createOperatingPoints", summary = "Derive thresholds at a target sensitivity from a cohort",
            description = "Per finding (CVX1, CVX2, CVX3, each against the rest) over the cohort's labelled predictions: "
                    + "the highest threshold on the class probability whose sensitivity reaches the target, with the "
                    + "sensitivity and specificity it achieves and seeded bootstrap 95% intervals (of both at that "
                    + "threshold, and of the threshold derived again per resample). Stored as a new configuration "
                    + "version of the model version; active at once only with activate=true (or when it is the "
                    + "first). Predictions stored from then on carry the findings at or above their thresholds as "
                    + "flags; earlier predictions keep theirs. With a calibration active for the model version the "
                    + "thresholds are on its calibrated probabilities, scoreSource is calibrated-probabilities:<its id>, "
                    + "and predictions are flagged on their probabilities mapped through that calibration.")
    ResponseEntity<OperatingPointConfiguration> derive(@Valid @RequestBody OperatingPointRequest request) {
        Cohort cohort = cohorts.resolve(request.cohort());
        // With a calibration active for the version, thresholds are set on the calibrated probabilities and the
        // configuration records that calibration, so predictions are flagged on the same scale.
        Optional<CalibrationService.Active> calibration = calibrations.active(cohort);
        List<OperatingPointDerivation.Case> cases = cohorts.labelled(cohort).stream()
                .map(l -> new OperatingPointDerivation.Case(l.modelCase().truth(), calibration
                        .map(c -> c.parameters().apply(l.modelCase().probabilities()))
                        .orElse(l.modelCase().probabilities())))
                .toList();
        if (cases.isEmpty()) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_CONTENT, "empty-cohort", "Nothing to derive from",
                    "No prediction of " + cohort.modelId() + " " + cohort.modelVersion()
                            + " in this cohort has a reference label.");
        }
        ScoreSource source = ScoreSource.PROBABILITIES;
        var points = OperatingPointDerivation.derive(cases, source, request.targetSensitivity(), request.resamples(),
                request.bootstrapSeed(), "evaluation cohort: " + cases.size() + " labelled predictions");
        if (points.isEmpty()) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_CONTENT, "no-operating-point", "Nothing to derive",
                    "No finding has both positive and negative labelled cases in this cohort.");
        }
        OperatingPointConfiguration stored = operatingPoints.create(cohort.modelId(), cohort.modelVersion(),
                new OperatingPoints.NewConfiguration("derived", source, points, request.targetSensitivity(), cohort,
                        cases.size(), request.resamples(), request.bootstrapSeed(),
                        calibration.map(CalibrationService.Active::id).orElse(null)),
                Boolean.TRUE.equals(request.activate()));
        return ResponseEntity.created(URI.create("/api/v1/operating-points/" + stored.id())).body(stored);
    }

    @RequiresRole(value = Role.ANALYST, action = "operating-point.list")
    @GetMapping
    @Operation(operationId = "listOperatingPoints", summary = "A model's operating point configurations, newest first")
    List<OperatingPointConfiguration> list(@RequestParam String modelId,
                                           @RequestParam(required = false) String modelVersion) {
        return operatingPoints.list(modelId, modelVersion);
    }

    @RequiresRole(value = Role.ANALYST, action = "operating-point.read")
    @GetMapping("/{id}")
    @Operation(operationId = "getOperatingPoints", summary = "One operating point configuration")
    OperatingPointConfiguration get(@PathVariable UUID id) {
        return operatingPoints.find(id).orElseThrow(() -> ApiProblem.notFound("Operating point configuration", id));
    }

    @RequiresRole(value = Role.ANALYST, action = "operating-point.activate")
    @PutMapping("/{id}/active")
    @Operation(operationId = "activateOperatingPoints", summary = "Make this configuration the active one of its model "
            + "version", description = "From then on new predictions of the model version are flagged with it.")
    OperatingPointConfiguration activate(@PathVariable UUID id) {
        return operatingPoints.activate(id, true);
    }

    @RequiresRole(value = Role.ANALYST, action = "operating-point.deactivate")
    @DeleteMapping("/{id}/active")
    @Operation(operationId = "deactivateOperatingPoints", summary = "Stop flagging with this configuration",
            description = "New predictions of the model version carry no flags until another is activated.")
    OperatingPointConfiguration deactivate(@PathVariable UUID id) {
        return operatingPoints.activate(id, false);
    }
}
