package org.chestlens.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.chestlens.prediction.ImageView;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

@RestController
@RequestMapping("/api/v1/images")
@Tag(name = "Images", description = "Upload chest radiographs for scoring")
class ImageUploadController {

    private final IngestService ingest;

    ImageUploadController(IngestService ingest) {
        this.ingest = ingest;
    }

    /** The answer to an upload: one entry per file, in upload order. */
    @Schema(name = "UploadResult")
    record UploadResult(List<ImageView> images) {
    }

    @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Upload one or more PNG chest radiographs and score them",
            description = "Each part named 'file' is one image. All files are validated before any is stored: "
                    + "one bad file rejects the whole request. The same bytes uploaded again return the stored "
                    + "image and prediction.")
    @ApiResponse(responseCode = "201", description = "Scored and stored")
    @ApiResponse(responseCode = "400", description = "Empty file, no file part, malformed request",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "413", description = "Upload over the configured size limit",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "415", description = "Not a PNG image",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "422", description = "Corrupt, truncated, too large in pixels, or without contrast",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "429", description = "Too busy; retry after the Retry-After header",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    ResponseEntity<UploadResult> upload(
            @Parameter(description = "PNG images (8- or 16-bit grey, or colour, converted to luminance)")
            @RequestPart("file") List<MultipartFile> files) {
        List<IngestService.Upload> uploads = new ArrayList<>(files.size());
        for (int i = 0; i < files.size(); i++) {
            uploads.add(new IngestService.Upload("#" + (i + 1), bytesOf(files.get(i))));
        }
        List<ImageView> images = ingest.ingest(uploads);
        ResponseEntity.BodyBuilder created = ResponseEntity.created(URI.create("/api/v1/images/" + images.get(0).id()));
        return created.body(new UploadResult(images));
    }

    private static byte[] bytesOf(MultipartFile file) {
        try {
            return file.getBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
