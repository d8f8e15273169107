package org.chestlens.interop;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.parameters.RequestBody;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.security.CurrentCaller;
import org.chestlens.prediction.Priority;
import org.chestlens.platform.security.AuditedResources;
import org.chestlens.platform.security.RequiresRole;
import org.chestlens.platform.security.Role;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

/**
 * DICOMweb Studies Store (STOW-RS, PS3.18 10.5) for PACS routers such as Orthanc: every instance is
 * scored like an upload to /api/v1/images. This service is not a full DICOMweb origin server: it
 * keeps no DICOM files and offers no WADO-RS or QIDO-RS, so the Retrieve URL of a stored instance is
 * its image resource here (/api/v1/images/{id}, with the prediction), and the study's is empty.
 */
@RestController
@RequestMapping("/dicomweb")
@Tag(name = "DICOMweb", description = "STOW-RS: PACS routers push DICOM instances for scoring")
class StowRsController {

    static final String MULTIPART_RELATED = "multipart/related";
    static final String DICOM_JSON = "application/dicom+json";
    private static final MediaType DICOM = MediaType.parseMediaType("application/dicom");
    private static final int MAX_BOUNDARY_LENGTH = 200;

    private final StowRsService stow;

    StowRsController(StowRsService stow) {
        this.stow = stow;
    }

    @RequiresRole(value = Role.SUBMITTER, action = "image.upload")
    @PostMapping(path = "/studies", consumes = MULTIPART_RELATED, produces = DICOM_JSON)
    @Operation(operationId = "storeInstances",
            summary = "Store instances (STOW-RS)", description = STORE_DESCRIPTION, requestBody = @RequestBody(
            required = true, content = @Content(mediaType = MULTIPART_RELATED, schema = @Schema(type = "string",
            format = "binary", description = BODY))))
    @ApiResponse(responseCode = "200", description = "Every instance was stored",
            content = @Content(mediaType = DICOM_JSON, schema = @Schema(type = "object", description = STORE_RESPONSE)))
    @ApiResponse(responseCode = "202", description = "Some instances were stored, some failed (Failed SOP Sequence)",
            content = @Content(mediaType = DICOM_JSON, schema = @Schema(type = "object", description = STORE_RESPONSE)))
    @ApiResponse(responseCode = "409", description = "No instance was stored; each has its Failure Reason",
            content = @Content(mediaType = DICOM_JSON, schema = @Schema(type = "object", description = STORE_RESPONSE)))
    @ApiResponse(responseCode = "400", description = "The multipart body cannot be read, or has no part",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "415", description = "Not multipart/related; type=\"application/dicom\"",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    ResponseEntity<Map<String, Object>> storeInstances(HttpServletRequest request) throws IOException {
        return store(request, null);
    }

    @RequiresRole(value = Role.SUBMITTER, action = "image.upload")
    @PostMapping(path = "/studies/{study}", consumes = MULTIPART_RELATED, produces = DICOM_JSON)
    @Operation(operationId = "storeStudyInstances",
            summary = "Store instances of one study (STOW-RS)", description = STORE_DESCRIPTION
            + " Instances of another study are not stored (Failure Reason 0xA901).", requestBody = @RequestBody(
            required = true, content = @Content(mediaType = MULTIPART_RELATED, schema = @Schema(type = "string",
            format = "binary", description = BODY))))
    @ApiResponse(responseCode = "200", description = "Every instance was stored",
            content = @Content(mediaType = DICOM_JSON, schema = @Schema(type = "object", description = STORE_RESPONSE)))
    @ApiResponse(responseCode = "202", description = "Some instances were stored, some failed (Failed SOP Sequence)",
            content = @Content(mediaType = DICOM_JSON, schema = @Schema(type = "object", description = STORE_RESPONSE)))
    @ApiResponse(responseCode = "409", description = "No instance was stored; each has its Failure Reason",
            content = @Content(mediaType = DICOM_JSON, schema = @Schema(type = "object", description = STORE_RESPONSE)))
    @ApiResponse(responseCode = "400", description = "The multipart body cannot be read, or has no part",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "415", description = "Not multipart/related; type=\"application/dicom\"",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    ResponseEntity<Map<String, Object>> storeStudyInstances(
            @Parameter(description = "Study Instance UID that every instance must have") @PathVariable String study,
            HttpServletRequest request) throws IOException {
        return store(request, study);
    }

    private static final String BODY = "multipart/related; type=\"application/dicom\"; boundary=...: one DICOM "
            + "Part 10 file per part";
    private static final String STORE_RESPONSE = "Store Instances Response (PS3.18 Annex I) in DICOM JSON";

    private static final String STORE_DESCRIPTION = """
            Body: multipart/related; type="application/dicom", one DICOM Part 10 instance per part. Each \
            instance is validated, stored and queued for scoring like an upload to /api/v1/images (the same \
            SOP Instance UID again is the same image); the parts are read one at a time, so a request may \
            carry any number of instances. The answer is the Store Instances Response (PS3.18 Annex I) as \
            DICOM JSON: Referenced SOP Sequence (0008,1199) with a Retrieve URL (0008,1190) per instance \
            pointing at its image resource here (GET it for the prediction; no WADO-RS), and Failed SOP \
            Sequence (0008,1198) with a Failure Reason (0008,1197): 0xC000 not DICOM or corrupt, 0xC122 \
            transfer syntax not supported, 0xA700 out of resources (too large, queue full; retry), 0x0110 \
            readable but not scorable (colour, no contrast).""";

    private ResponseEntity<Map<String, Object>> store(HttpServletRequest request, String study) throws IOException {
        String boundary = boundaryOf(request.getContentType());
        StoreInstancesResponse response;
        try (InputStream body = request.getInputStream()) {
            // A DICOMweb client sends no priority of its own: its API key's default applies (a backfill router's
            // key is routine, an emergency department's stat).
            response = stow.store(body, boundary, study,
                    location -> ServletUriComponentsBuilder.fromContextPath(request).path(location).toUriString(),
                    CurrentCaller.defaultPriority().flatMap(Priority::parse).orElse(Priority.ROUTINE));
        }
        // The audit trail names the images by id, as for any upload (the RetrieveURL ends with it).
        response.stored().forEach(s -> AuditedResources.add(s.retrieveUrl().substring(s.retrieveUrl().lastIndexOf('/') + 1)));
        HttpStatus status = response.failed().isEmpty() ? HttpStatus.OK
                : response.stored().isEmpty() ? HttpStatus.CONFLICT : HttpStatus.ACCEPTED;
        ResponseEntity.BodyBuilder answer = ResponseEntity.status(status)
                .contentType(MediaType.parseMediaType(DICOM_JSON));
        // Refused because the service was busy, not for the instance itself (an instance over the size limit is
        // 0xA700 too, but retrying it cannot help): tell a retrying router when, as the refusal said.
        response.retryAfterSeconds().ifPresent(seconds -> answer.header(HttpHeaders.RETRY_AFTER, Long.toString(seconds)));
        return answer.body(response.toDicomJson());
    }

    /**
     * The boundary of a {@code multipart/related} body whose root type is application/dicom. PS3.18
     * also allows metadata and bulk data parts (type="application/dicom+json" or +xml); those are
     * not supported here and are answered 415 like any other media type.
     */
    static String boundaryOf(String contentType) {
        MediaType type;
        try {
            type = MediaType.parseMediaType(contentType);
        } catch (InvalidMediaTypeException e) {
            throw unsupported(contentType);
        }
        String root = unquote(type.getParameter("type"));
        if (root != null && !DICOM.equalsTypeAndSubtype(parseOrNull(root))) {
            throw unsupported(contentType);
        }
        String boundary = unquote(type.getParameter("boundary"));
        // RFC 2046 allows at most 70 characters, but Orthanc's STOW-RS client sends 73 (two UUIDs):
        // be lenient up to a length that still keeps the boundary search cheap.
        if (boundary == null || boundary.isEmpty() || boundary.length() > MAX_BOUNDARY_LENGTH) {
            throw StowRsService.malformed("The Content-Type has no usable multipart boundary (1 to "
                    + MAX_BOUNDARY_LENGTH + " characters).");
        }
        return boundary;
    }

    private static MediaType parseOrNull(String value) {
        try {
            return MediaType.parseMediaType(value);
        } catch (InvalidMediaTypeException e) {
            return null;
        }
    }

    private static String unquote(String value) {
        if (value != null && value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }

    private static ApiProblem unsupported(String contentType) {
        return new ApiProblem(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported media type",
                "STOW-RS here takes multipart/related; type=\"application/dicom\" (one DICOM Part 10 file per "
                        + "part), not " + contentType + ".");
    }
}
