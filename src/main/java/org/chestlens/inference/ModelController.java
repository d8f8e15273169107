package org.chestlens.inference;

import java.util.List;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.security.RequiresRole;
import org.chestlens.platform.security.Role;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1/models")
@Tag(name = "Models", description = "The loaded model packages and their provenance")
class ModelController {

    private final InferenceService inference;

    ModelController(InferenceService inference) {
        this.inference = inference;
    }

    @RequiresRole(value = {Role.READER, Role.ANALYST, Role.ADMIN}, action = "model.list")
    @GetMapping
    @Operation(operationId = "listModels",
            summary = "List the loaded models", description = "Identity, version, fold checksums, intended "
            + "use and limits of every loaded model package. trained=false marks a model with random weights.")
    List<ModelInfo> list() {
        return inference.models();
    }

    @RequiresRole(value = {Role.READER, Role.ANALYST, Role.ADMIN}, action = "model.read")
    @GetMapping("/{id}")
    @Operation(operationId = "getModel", summary = "One loaded model")
    ModelInfo get(@PathVariable String id) {
        return inference.model(id).orElseThrow(() -> ApiProblem.notFound("Model", id));
    }
}
