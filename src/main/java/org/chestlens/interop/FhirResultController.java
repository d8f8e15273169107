package org.chestlens.interop;

import java.util.UUID;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.security.RequiresRole;
import org.chestlens.platform.security.Role;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

@RestController
@Tag(name = "FHIR", description = "Predictions as FHIR R4 resources")
class FhirResultController {

    static final String FHIR_JSON = "application/fhir+json";
    private static final MediaType FHIR_JSON_UTF8 = MediaType.parseMediaType(FHIR_JSON + ";charset=UTF-8");

    private final FhirResults results;

    FhirResultController(FhirResults results) {
        this.results = results;
    }

    // application/json is accepted too: FHIR servers treat it as a synonym, and clients that only know JSON
    // should not get a 406. The answer always says application/fhir+json.
    @RequiresRole(value = Role.READER, action = "prediction.read-fhir")
    @GetMapping(value = "/api/v1/predictions/{id}/fhir", produces = {FHIR_JSON, MediaType.APPLICATION_JSON_VALUE})
    @Operation(operationId = "getPredictionFhirBundle", summary = "A prediction as a FHIR R4 Bundle (collection)",
            description = """
                    A preliminary DiagnosticReport (category RAD, LOINC 36554-4 XR Chest Single view) whose \
                    conclusion says what the model found in words, one Observation per class probability \
                    (CVX0..CVX3) and per InnerEye sub-task score, a Device for the model (id, version, fold \
                    SHA-256s) and a Provenance. The subject is the upload's 'subject' reference when the client \
                    gave one; a DICOM image's study is referenced by its Study Instance UID.""")
    @ApiResponse(responseCode = "200", description = "The FHIR Bundle",
            content = @Content(mediaType = FHIR_JSON, schema = @Schema(type = "object", description = "FHIR R4 Bundle")))
    @ApiResponse(responseCode = "404", description = "No prediction with this id",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    ResponseEntity<String> bundle(@PathVariable UUID id) {
        var bundle = results.bundle(id).orElseThrow(() -> ApiProblem.notFound("Prediction", id));
        return ResponseEntity.ok().contentType(FHIR_JSON_UTF8).body(results.json(bundle));
    }
}
