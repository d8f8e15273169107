package org.chestlens.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.SchemaProperty;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.ContainerErrorController;
import org.chestlens.platform.CpuStages;
import org.chestlens.prediction.ImageView;
import org.chestlens.prediction.Priority;
import org.chestlens.platform.security.AuditedResources;
import org.chestlens.platform.security.CurrentCaller;
import org.chestlens.platform.security.RequiresRole;
import org.chestlens.platform.security.Role;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1/images")
@Tag(name = "Images", description = "Upload chest radiographs for scoring")
class ImageUploadController {

    private final IngestService ingest;
    private final IngestProperties properties;
    private final UploadBudget budget;

    ImageUploadController(IngestService ingest, IngestProperties properties, UploadBudget budget) {
        this.ingest = ingest;
        this.properties = properties;
        this.budget = budget;
    }

    /** The answer to an upload: one entry per file, in upload order, each with its own location. */
    @Schema(name = "UploadResult")
    record UploadResult(List<ImageView> images) {
    }

    @RequiresRole(value = Role.SUBMITTER, action = "image.upload")
    @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "uploadImages",
            summary = "Upload one or more chest radiographs (PNG or DICOM) for scoring",
            description = """
                    Each part named 'file' is one image, PNG or DICOM Part 10 (recognised by content, not by \
                    name). All files are validated and the images and their \
                    scoring jobs committed together before the answer: one bad file rejects the whole request, \
                    and an answered upload survives a crash. A request cut off before any answer (the server \
                    stopped while the client waited) may not have been kept: send it again; the same bytes \
                    uploaded again return the stored image, and one that failed is scored again. Waiting \
                    (RFC 7240): 'Prefer: respond-async' answers 202 at once; 'Prefer: wait=N' \
                    waits up to N seconds for the results; without a preference the server waits up to \
                    chestlens.ingest.default-wait. 201 (or 200 when nothing new was created) carries the \
                    finished predictions; 202 means at least one image is still queued or running: poll its \
                    location. Priority: the form field 'priority' (or 'Prefer: priority=stat'), else the API \
                    key's default priority, else routine; stat images are scored before routine ones.""")
    @ApiResponse(responseCode = "200", description = "Every image was already stored and scored",
            headers = {@Header(name = "Location", description = "The first image", schema = @Schema(type = "string")),
                    @Header(name = "Preference-Applied", description = "The preferences honoured (respond-async, wait, "
                            + "priority)", schema = @Schema(type = "string"))})
    @ApiResponse(responseCode = "201", description = "Stored and scored",
            headers = {@Header(name = "Location", description = "The first image", schema = @Schema(type = "string")),
                    @Header(name = "Preference-Applied", description = "The preferences honoured (respond-async, wait, "
                            + "priority)", schema = @Schema(type = "string"))})
    @ApiResponse(responseCode = "202", description = "Stored and queued; poll each image's location",
            headers = {@Header(name = "Location", description = "The first image", schema = @Schema(type = "string")),
                    @Header(name = "Preference-Applied", description = "The preferences honoured (respond-async, wait, "
                            + "priority)", schema = @Schema(type = "string"))})
    @ApiResponse(responseCode = "400", description = "Empty file, no file part, malformed request, invalid subject",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "409", description = "An image is already stored with another 'subject'",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "413", description = "Upload over the configured size limit",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "415", description = "Neither PNG nor DICOM, or an unsupported DICOM transfer syntax",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "422", description = "Corrupt, truncated, too large in pixels, or without contrast; "
            + "not a frontal chest radiograph (input gate); or, with chestlens.inference.out-of-distribution=reject, "
            + "out of the model's distribution (type out-of-distribution); or an Idempotency-Key first sent with other "
            + "files (type idempotency-key-reused)",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "429", description = "Queue full or decoders busy; retry after the Retry-After header",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = @Content(
            mediaType = MediaType.MULTIPART_FORM_DATA_VALUE,
            schema = @Schema(type = "object", requiredProperties = "file"),
            schemaProperties = {
                    @SchemaProperty(name = "file", array = @ArraySchema(schema = @Schema(type = "string",
                            format = "binary"), arraySchema = @Schema(description = "PNG (8- or 16-bit grey, or "
                            + "colour converted to luminance) or DICOM files"))),
                    // A form field, never a query parameter: URLs end up in access logs and browser histories.
                    @SchemaProperty(name = "subject", schema = @Schema(type = "string", description = "Optional "
                            + "FHIR reference to the patient on the client's FHIR server, e.g. Patient/123: the "
                            + "subject of the FHIR results of these images. Stored, never logged.")),
                    @SchemaProperty(name = "priority", schema = @Schema(type = "string",
                            allowableValues = {"stat", "routine"}, description = "stat: scored before routine "
                            + "work (an emergency department's film); routine: a PACS backfill. Default: the API "
                            + "key's default priority, else routine"))}))
    ResponseEntity<UploadResult> upload(
            HttpServletRequest request,
            @Parameter(description = "RFC 7240 preferences: respond-async, or wait=N (seconds); priority=stat or "
                    + "priority=routine")
            @RequestHeader(value = "Prefer", required = false) String prefer,
            @Parameter(description = "A client-chosen key; repeating a request with the same key and the same files "
                    + "returns the first request's images instead of uploading again; the key with other files is "
                    + "refused (422 idempotency-key-reused)")
            @RequestHeader(value = "Idempotency-Key", required = false) String idempotencyKey) throws IOException {
        CpuStages.lap(CpuStages.Stage.HTTP);
        String boundary = FormDataBody.boundaryOf(request.getContentType());
        long limit = properties.maxRequestSize().toBytes();
        long declared = request.getContentLengthLong();
        if (declared > limit) {
            throw requestTooLarge(limit);
        }
        long size = declared >= 0 ? declared : limit;
        // A body of other parts than one file has them copied out of it, then dropped: for that moment the
        // request holds twice its size. A body without Content-Length (chunked) is held to the request limit.
        try (UploadBudget.Lease lease = budget.acquire(2 * size)) {
            List<FormDataBody.Part> parts;
            if (declared >= 0 && declared < Integer.MAX_VALUE - 8) {
                parts = readParts(request.getInputStream(), (int) declared, boundary);
            } else {
                byte[] body = readBody(request.getInputStream(), declared, size);
                if (body.length > limit) {
                    throw requestTooLarge(limit);
                }
                parts = FormDataBody.parse(body, body.length, boundary);
            }
            CpuStages.lap(CpuStages.Stage.RECEIVE);
            List<IngestService.Upload> uploads = new ArrayList<>();
            String subject = null;
            String priority = null;
            for (FormDataBody.Part part : parts) {
                if (part.name().equals("file")) {
                    if (part.content().length > properties.maxFileSize().toBytes()) {
                        throw UploadRejected.tooLarge("File #" + (uploads.size() + 1)
                                + " exceeds chestlens.ingest.max-file-size ("
                                + properties.maxFileSize().toBytes() + " bytes).");
                    }
                    uploads.add(new IngestService.Upload("#" + (uploads.size() + 1), part.content()));
                } else if (part.name().equals("subject") && subject == null) {
                    subject = part.text();
                } else if (part.name().equals("priority") && priority == null) {
                    priority = part.text();
                }
            }
            if (uploads.isEmpty()) {
                throw new ApiProblem(HttpStatus.BAD_REQUEST, "missing-file", "No file uploaded",
                        "The multipart request has no part named 'file'.");
            }
            return answer(uploads, prefer, idempotencyKey, SubjectReference.check(subject), priority);
        }
    }

    @RequiresRole(value = Role.SUBMITTER, action = "image.upload")
    @PostMapping(consumes = "application/dicom", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "uploadImages", summary = "Upload one DICOM Part 10 file as the request body",
            description = "The same as the multipart upload, for clients that send a single application/dicom body.")
    @ApiResponse(responseCode = "200", description = "Already stored and scored")
    @ApiResponse(responseCode = "201", description = "Stored and scored",
            headers = {@Header(name = "Location", description = "The first image", schema = @Schema(type = "string")),
                    @Header(name = "Preference-Applied", description = "The preferences honoured (respond-async, wait, "
                            + "priority)", schema = @Schema(type = "string"))})
    @ApiResponse(responseCode = "202", description = "Stored and queued; poll the image's location")
    @ApiResponse(responseCode = "413", description = "Body over chestlens.ingest.max-body-size",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "415", description = "Not a DICOM Part 10 file, or an unsupported transfer syntax",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "422", description = "Corrupt, hostile, colour, or without contrast; not a frontal "
            + "chest radiograph (input gate); or out of the model's distribution (out-of-distribution=reject); or an "
            + "Idempotency-Key first sent with another file (idempotency-key-reused)",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "429", description = "Queue full or decoders busy; retry after the Retry-After header",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    ResponseEntity<UploadResult> uploadDicom(
            InputStream body,
            @Parameter(hidden = true) @RequestHeader(value = HttpHeaders.CONTENT_LENGTH, required = false)
            Long contentLength,
            @Parameter(description = "RFC 7240 preferences: respond-async, or wait=N (seconds); priority=stat or "
                    + "priority=routine")
            @RequestHeader(value = "Prefer", required = false) String prefer,
            @RequestHeader(value = "Idempotency-Key", required = false) String idempotencyKey) {
        CpuStages.lap(CpuStages.Stage.HTTP);
        long limit = properties.maxBodySize().toBytes();
        if (contentLength != null && contentLength > limit) {
            throw bodyTooLarge(limit);
        }
        try (UploadBudget.Lease lease = budget.acquire(contentLength != null ? contentLength : limit)) {
            byte[] bytes = readBody(body, contentLength == null ? -1 : contentLength, limit);
            if (bytes.length > limit) {
                throw bodyTooLarge(limit);
            }
            if (!DicomDecoder.isDicom(bytes)) {
                throw UploadRejected.notDicomPart10("#1");
            }
            CpuStages.lap(CpuStages.Stage.RECEIVE);
            return answer(List.of(new IngestService.Upload("#1", bytes)), prefer, idempotencyKey, null, null);
        }
    }

    /**
     * The body: with a Content-Length within the limit, read straight into an array of that size (the
     * container delivers no more); else at most {@code limit + 1} bytes, so that a longer one can be told apart
     * ({@code readNBytes(int)} gathers 8 KB buffers and copies them into the result: one more copy).
     */
    private static byte[] readBody(InputStream body, long declared, long limit) {
        try {
            if (declared >= 0 && declared <= limit && declared < Integer.MAX_VALUE - 8) {
                byte[] bytes = new byte[(int) declared];
                int read = body.readNBytes(bytes, 0, bytes.length);
                return read == bytes.length ? bytes : Arrays.copyOf(bytes, read);
            }
            return body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
        } catch (IOException e) {
            throw incompleteBody();
        }
    }

    /** The client went away or stopped sending mid-body: its fault, and nothing was stored. */
    private static ApiProblem incompleteBody() {
        return new ApiProblem(HttpStatus.BAD_REQUEST, ContainerErrorController.UNREADABLE_REQUEST,
                "Incomplete request body", "The request body could not be read to its end.");
    }

    private static List<FormDataBody.Part> readParts(InputStream body, int declared, String boundary) {
        try {
            return FormDataBody.read(body, declared, boundary);
        } catch (IOException e) {
            throw incompleteBody();
        }
    }

    private static UploadRejectedException requestTooLarge(long limit) {
        return UploadRejected.tooLarge("The request exceeds chestlens.ingest.max-request-size (" + limit + " bytes).");
    }

    private static UploadRejectedException bodyTooLarge(long limit) {
        return UploadRejected.tooLarge("The body exceeds chestlens.ingest.max-body-size (" + limit + " bytes).");
    }

    private ResponseEntity<UploadResult> answer(List<IngestService.Upload> uploads, String prefer,
                                                String idempotencyKey, String subjectReference, String formPriority) {
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 200)) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid-idempotency-key", "Invalid Idempotency-Key",
                    "The Idempotency-Key header must have 1 to 200 characters.");
        }
        WaitPreference preference = WaitPreference.parse(prefer, properties.defaultWait(), properties.maxWait());
        Optional<Priority> preferredPriority = preferredPriority(prefer);
        Priority priority = priority(formPriority, preferredPriority);
        // Keys are the caller's own: the same key from another caller is another request.
        String scopedKey = idempotencyKey == null ? null : CurrentCaller.scope() + "|" + idempotencyKey;
        IngestService.Result result = ingest.ingest(uploads, scopedKey, preference.duration(), subjectReference,
                priority);

        List<ImageView> images = result.images();
        images.forEach(image -> AuditedResources.add(image.id()));
        ingest.refuseOutOfDistribution(images);
        HttpStatus status = !result.allFinished() ? HttpStatus.ACCEPTED
                : result.createdAny() ? HttpStatus.CREATED : HttpStatus.OK;
        ResponseEntity.BodyBuilder answer = ResponseEntity.status(status)
                .location(URI.create(images.get(0).location()));
        List<String> applied = new ArrayList<>();
        if (preference.applied() != null) {
            applied.add(preference.applied());
        }
        if (preferredPriority.isPresent()) {
            applied.add("priority=" + priority.wireName());
        }
        if (!applied.isEmpty()) {
            answer.header("Preference-Applied", String.join(", ", applied));
        }
        return answer.body(new UploadResult(images));
    }

    /**
     * The form field, else {@code Prefer: priority=...}, else the API key's default, else routine. A value that
     * names no priority is a 400 in the form field; in Prefer it is ignored, as RFC 7240 asks.
     */
    static Priority priority(String formPriority, Optional<Priority> preferred) {
        if (formPriority != null) {
            return Priority.parse(formPriority).orElseThrow(() -> new ApiProblem(HttpStatus.BAD_REQUEST,
                    "invalid-parameter", "Invalid parameter", "priority must be stat or routine."));
        }
        return preferred.or(() -> CurrentCaller.defaultPriority().flatMap(Priority::parse))
                .orElse(Priority.ROUTINE);
    }

    /** A {@code priority=...} preference that names a priority. */
    private static Optional<Priority> preferredPriority(String prefer) {
        return preferences(prefer).stream().filter(token -> token.startsWith("priority="))
                .map(token -> Priority.parse(token.substring("priority=".length()).replace("\"", "")))
                .flatMap(Optional::stream).findFirst();
    }

    /**
     * The preferences of a {@code Prefer} header (RFC 7240): each one's token and value without parameters,
     * blanks (allowed around '=') removed, lower case; none when the header is absent.
     */
    static List<String> preferences(String header) {
        if (header == null) {
            return List.of();
        }
        // A malformed preference (";", an empty list element) is ignored, as RFC 7240 asks of one not understood.
        return Arrays.stream(header.split(","))
                .map(preference -> preference.split(";", -1)[0].replaceAll("\\s+", "").toLowerCase())
                .filter(token -> !token.isEmpty()).toList();
    }

    /** RFC 7240: {@code respond-async} and {@code wait=N}; other preferences are ignored. */
    record WaitPreference(Duration duration, String applied) {

        static WaitPreference parse(String header, Duration defaultWait, Duration maxWait) {
            Duration wait = null;
            boolean async = false;
            for (String token : preferences(header)) {
                if (token.equals("respond-async")) {
                    async = true;
                } else if (token.startsWith("wait=")) {
                    try {
                        wait = Duration.ofSeconds(Math.max(0, Long.parseLong(token.substring(5).trim().replace("\"", ""))));
                    } catch (NumberFormatException ignored) {
                        // A malformed preference is ignored, as RFC 7240 asks.
                    }
                }
            }
            if (wait != null) {
                Duration capped = wait.compareTo(maxWait) > 0 ? maxWait : wait;
                return new WaitPreference(capped, "wait=" + capped.toSeconds());
            }
            return async ? new WaitPreference(Duration.ZERO, "respond-async") : new WaitPreference(defaultWait, null);
        }
    }

}
