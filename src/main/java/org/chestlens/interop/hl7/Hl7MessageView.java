package org.chestlens.interop.hl7;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.swagger.v3.oas.annotations.media.Schema;

/** One HL7 v2 message to one destination, with every attempt made so far (not its text: it may name a patient). */
@Schema(name = "Hl7Message")
record Hl7MessageView(
        UUID id,
        String destination,
        @Schema(description = "The event that produced it: prediction.completed or prediction.failed")
        String eventType,
        @Schema(description = "MSH-10, the same on every attempt; the acknowledgement's MSA-2 must repeat it")
        String controlId,
        @Schema(nullable = true) UUID predictionId,
        UUID imageId,
        @Schema(description = "PENDING (more attempts to come), DELIVERED (AA or CA), FAILED (AR or CR, or attempts "
                + "used up)")
        String status,
        int attempts,
        @Schema(description = "When the next attempt is due; null once delivered or failed", nullable = true)
        Instant nextAttemptAt,
        Instant createdAt,
        @Schema(nullable = true) Instant finishedAt,
        List<Attempt> attemptLog) {

    @Schema(name = "Hl7MessageAttempt")
    record Attempt(
            int attempt,
            Instant attemptedAt,
            @Schema(description = "The replica that sent it") String attemptedBy,
            @Schema(description = "MSA-1 of the acknowledgement (AA, AE, AR, CA, CE, CR); null when none came",
                    nullable = true)
            String ackCode,
            @Schema(description = "Why the attempt did not succeed: the receiver's error text (MSA-3, ERR), a timeout, "
                    + "a refused or closed connection", nullable = true)
            String error,
            double durationMs) {
    }
}
