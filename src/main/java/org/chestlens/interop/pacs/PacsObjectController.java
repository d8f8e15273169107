package org.chestlens.interop.pacs;

import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.security.RequiresRole;
import org.chestlens.platform.security.Role;
import org.springframework.http.CacheControl;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A prediction's DICOM result objects as Part 10 files, for people and tools testing what a PACS would
 * receive (curl, dciodvfy, a viewer). Built on request with an empty patient module (docs/pacs.md).
 */
@RestController
@RequestMapping("/api/v1")
@Tag(name = "Predictions", description = "Stored images and predictions")
class PacsObjectController {

    static final String APPLICATION_DICOM = "application/dicom";
    private static final String PROBLEM_JSON = "application/problem+json";
    /** Derived from a patient's image: caches of the client only, revalidated by ETag. */
    private static final CacheControl PRIVATE = CacheControl.noCache().cachePrivate();

    private final PacsObjects objects;

    PacsObjectController(PacsObjects objects) {
        this.objects = objects;
    }

    @RequiresRole(value = Role.READER, action = "prediction.dicom-sr")
    @GetMapping(value = "/predictions/{id}/dicom-sr", produces = APPLICATION_DICOM)
    @Operation(operationId = "getPredictionDicomSr", summary = "A prediction as a DICOM Comprehensive SR",
            description = """
                    The prediction as a DICOM Comprehensive Structured Report (Part 10, explicit VR little endian) \
                    in a new series (number 9901) of the scored image's study: the image referenced by SOP Class \
                    and Instance UID, the model as device observer (UID, name, version, fold SHA-256s), each class \
                    probability and sub-task score as a NUM, the most likely class as a CODE, the model's notice \
                    and reliability as TEXT, Verification Flag UNVERIFIED. The patient module is present and \
                    empty: the PACS files it by Study Instance UID. UIDs derive from the prediction, so fetching \
                    it again gives the same instance. A prediction of a PNG upload answers 409 no-dicom-study.""")
    @ApiResponse(responseCode = "200", description = "The SR, a DICOM Part 10 file",
            headers = {@Header(name = "ETag", description = "Send as If-None-Match to revalidate",
                    schema = @Schema(type = "string")),
                    @Header(name = "Content-Disposition", description = "attachment; the file name is the SOP Instance "
                            + "UID", schema = @Schema(type = "string"))},
            content = @Content(mediaType = APPLICATION_DICOM, schema = @Schema(type = "string", format = "binary")))
    @ApiResponse(responseCode = "304", description = "Not modified (If-None-Match matched the ETag)")
    @ApiResponse(responseCode = "404", description = "No prediction with this id",
            content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "409", description = "The prediction is of a PNG upload: no DICOM study to join "
            + "(no-dicom-study)",
            content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = ProblemDetail.class)))
    ResponseEntity<byte[]> structuredReport(@PathVariable UUID id) {
        return answer(id, () -> objects.structuredReport(id, PatientModule.EMPTY));
    }

    @RequiresRole(value = Role.READER, action = "prediction.dicom-sc")
    @GetMapping(value = "/predictions/{id}/dicom-sc", produces = APPLICATION_DICOM)
    @Operation(operationId = "getPredictionDicomSc", summary = "A prediction's heat map as a DICOM Secondary Capture",
            description = """
                    The heat map of the most likely class as a DICOM Secondary Capture Image (Part 10, 8-bit RGB, \
                    448 x 510) in a new series (number 9902) of the scored image's study: the model's view \
                    enlarged twice with the class activation map blended over it, its legend, and the banner \
                    "AI output - not for diagnostic use - preliminary" burned in (Burned In Annotation YES). The \
                    patient module is present and empty. A prediction of a PNG upload answers 409 \
                    no-dicom-study; of a model without maps (package format 1) 409 explanation-unavailable; once \
                    the model view has expired 409 model-view-unavailable.""")
    @ApiResponse(responseCode = "200", description = "The Secondary Capture, a DICOM Part 10 file",
            headers = {@Header(name = "ETag", description = "Send as If-None-Match to revalidate",
                    schema = @Schema(type = "string")),
                    @Header(name = "Content-Disposition", description = "attachment; the file name is the SOP Instance "
                            + "UID", schema = @Schema(type = "string"))},
            content = @Content(mediaType = APPLICATION_DICOM, schema = @Schema(type = "string", format = "binary")))
    @ApiResponse(responseCode = "304", description = "Not modified (If-None-Match matched the ETag)")
    @ApiResponse(responseCode = "404", description = "No prediction with this id",
            content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "409", description = "No DICOM study to join (no-dicom-study), no class activation "
            + "maps (explanation-unavailable), or the model view has expired (model-view-unavailable)",
            content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = ProblemDetail.class)))
    ResponseEntity<byte[]> secondaryCapture(@PathVariable UUID id) {
        return answer(id, () -> objects.secondaryCapture(id, PatientModule.EMPTY));
    }

    private static ResponseEntity<byte[]> answer(UUID id, Supplier<Optional<DicomObject>> build) {
        DicomObject object;
        try {
            object = build.get().orElseThrow(() -> ApiProblem.notFound("Prediction", id));
        } catch (ObjectUnavailable unavailable) {
            throw switch (unavailable.reason()) {
                case NO_STUDY -> new ApiProblem(HttpStatus.CONFLICT, "no-dicom-study", "No DICOM study to join",
                        unavailable.getMessage());
                case NO_HEAT_MAP -> new ApiProblem(HttpStatus.CONFLICT, "explanation-unavailable",
                        "No explanation for this prediction", unavailable.getMessage());
                case NO_MODEL_VIEW -> new ApiProblem(HttpStatus.CONFLICT, "model-view-unavailable",
                        "No model view for this prediction", unavailable.getMessage());
            };
        }
        return ResponseEntity.ok().eTag("\"" + object.sopInstanceUid() + "\"").cacheControl(PRIVATE)
                .contentType(MediaType.parseMediaType(APPLICATION_DICOM))
                .header("Content-Disposition", ContentDisposition.attachment()
                        .filename(object.sopInstanceUid() + ".dcm").build().toString())
                .body(object.part10());
    }
}
