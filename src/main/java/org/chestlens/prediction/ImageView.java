package org.chestlens.prediction;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.swagger.v3.oas.annotations.media.Schema;

/** A stored image (metadata only) with its predictions. */
@Schema(name = "Image")
public record ImageView(
        UUID id,
        @Schema(description = "Where to read (poll) this image: /api/v1/images/{id}") String location,
        @Schema(description = "SHA-256 of the uploaded bytes; the same bytes are the same image") String sha256,
        @Schema(allowableValues = {"PNG", "DICOM"}) String format,
        long sizeBytes,
        int width,
        int height,
        int bitDepth,
        @Schema(description = "GREY, or the colour type that was converted to luminance") String colourType,
        List<String> warnings,
        Instant receivedAt,
        @Schema(nullable = true) DicomAttributes dicom,
        @Schema(description = "Status of the most recent scoring job: QUEUED, RUNNING, DONE or FAILED")
        JobStatus status,
        @Schema(description = "One scoring job per model version")
        List<JobView> jobs,
        List<PredictionView> predictions) {

    @Schema(name = "Job")
    public record JobView(String modelId, String modelVersion, JobStatus status, int attempts,
                          @Schema(nullable = true, description = "Why the last attempt failed") String failureReason) {
    }

    /** DONE or FAILED: the image's scoring has ended, one way or the other. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean finished() {
        return status == JobStatus.DONE || status == JobStatus.FAILED;
    }

    static ImageView of(ImageEntity image, List<JobView> jobs, List<PredictionView> predictions) {
        JobStatus status = jobs.isEmpty() ? null : jobs.get(jobs.size() - 1).status();
        return new ImageView(image.id(), "/api/v1/images/" + image.id(), image.sha256(), image.format(), image.sizeBytes(), image.width(),
                image.height(), image.bitDepth(), image.colourType(), image.warnings(), image.receivedAt(), image.dicom(), status,
                jobs, predictions);
    }
}
