package org.chestlens.evaluation;

import java.time.Instant;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.chestlens.platform.security.RequiresRole;
import org.chestlens.platform.security.Role;
import org.springframework.format.annotation.DateTimeFormat;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1")
@Tag(name = "Evaluation", description = "The model and the readers against the reference labels")
class EvaluationController {

    private final EvaluationService evaluations;

    EvaluationController(EvaluationService evaluations) {
        this.evaluations = evaluations;
    }

    @RequiresRole(value = Role.ANALYST, action = "evaluation.run")
    @GetMapping("/evaluations")
    @Operation(operationId = "evaluateModel",
            summary = "Evaluate a model version over a cohort", description = "InnerEye's metrics (sub-task "
            + "accuracies with undefined scores skipped and counted, multiclass accuracy, confusion matrix) plus AUROC "
            + "per sub-task, sensitivity and specificity at 0.5, expected calibration error with its reliability bins "
            + "and seeded bootstrap 95% intervals; the same for each reader; Cohen's kappa between readers and "
            + "between each reader and the model; a side-by-side table per sub-task. 422 when no prediction of the "
            + "cohort has a reference label.")
    EvaluationReport evaluate(
            @RequestParam String modelId,
            @RequestParam(required = false) String modelVersion,
            @Parameter(description = "Images received at or after (ISO-8601)")
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE_TIME) Instant receivedFrom,
            @Parameter(description = "Images received before (ISO-8601)")
            @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE_TIME) Instant receivedTo,
            @RequestParam(required = false) String modality,
            @RequestParam(required = false) String viewPosition,
            @RequestParam(required = false) String manufacturer,
            @RequestParam(required = false) String manufacturerModelName,
            @RequestParam(required = false) String institutionName,
            @RequestParam(required = false) String patientSex,
            @Parameter(description = "Bootstrap resamples for the 95% intervals")
            @RequestParam(defaultValue = "1000") @Min(0) @Max(10000) int bootstrap,
            @Parameter(description = "Bootstrap seed: the same seed and data give the same intervals")
            @RequestParam(defaultValue = "20210714") long seed) {
        return evaluations.evaluate(new Cohort(modelId, modelVersion, receivedFrom, receivedTo, modality, viewPosition,
                manufacturer, manufacturerModelName, institutionName, patientSex), bootstrap, seed);
    }
}
