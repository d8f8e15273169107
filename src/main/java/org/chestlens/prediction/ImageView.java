package org.chestlens.prediction;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.swagger.v3.oas.annotations.media.Schema;

/** A stored image (metadata only) with its predictions. */
@Schema(name = "Image")
public record ImageView(
        UUID id,
        @Schema(description = "SHA-256 of the uploaded bytes; the same bytes are the same image") String sha256,
        @Schema(allowableValues = {"PNG", "DICOM"}) String format,
        long sizeBytes,
        int width,
        int height,
        int bitDepth,
        @Schema(description = "GREY, or the colour type that was converted to luminance") String colourType,
        List<String> warnings,
        Instant receivedAt,
        List<PredictionView> predictions) {

    static ImageView of(ImageEntity image, List<PredictionView> predictions) {
        return new ImageView(image.id(), image.sha256(), image.format(), image.sizeBytes(), image.width(),
                image.height(), image.bitDepth(), image.colourType(), image.warnings(), image.receivedAt(),
                predictions);
    }
}
