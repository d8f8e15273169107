package org.chestlens.interop.pacs;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.swagger.v3.oas.annotations.media.Schema;

/** One DICOM object to one PACS destination, with every attempt made so far (never the patient module). */
@Schema(name = "PacsDelivery")
record PacsDeliveryView(
        UUID id,
        String destination,
        @Schema(description = "SR (the Comprehensive SR) or SC (the heat-map Secondary Capture)") String objectType,
        UUID imageId,
        @Schema(description = "Null while the image waits for its prediction", nullable = true) UUID predictionId,
        @Schema(description = "The object's SOP Instance UID, once it was built for an attempt", nullable = true)
        String sopInstanceUid,
        @Schema(description = "WAITING (for the prediction), PENDING (more attempts to come), DELIVERED, FAILED "
                + "(rejected, the object cannot be built, or attempts used up)")
        String status,
        int attempts,
        @Schema(description = "When the next attempt is due; null unless PENDING", nullable = true)
        Instant nextAttemptAt,
        Instant createdAt,
        @Schema(nullable = true) Instant finishedAt,
        @Schema(description = "Whether the row still holds the source header's patient module (sealed); false once "
                + "DELIVERED or FAILED, and when no key is configured")
        boolean patientModuleSealed,
        List<Attempt> attemptLog) {

    PacsDeliveryView withAttempts(List<Attempt> log) {
        return new PacsDeliveryView(id, destination, objectType, imageId, predictionId, sopInstanceUid, status,
                attempts, nextAttemptAt, createdAt, finishedAt, patientModuleSealed, log);
    }

    @Schema(name = "PacsDeliveryAttempt")
    record Attempt(
            int attempt,
            Instant attemptedAt,
            @Schema(description = "The replica that sent it") String attemptedBy,
            @Schema(description = "The answer: 'HTTP 200' for STOW-RS, 'DIMSE 0x0000' for C-STORE; null when none "
                    + "came", nullable = true)
            String status,
            @Schema(description = "Why the attempt did not succeed", nullable = true) String error,
            double durationMs) {
    }
}
