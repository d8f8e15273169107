package org.chestlens.interop.webhook;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.swagger.v3.oas.annotations.media.Schema;

/** One event's delivery to one subscription, with every attempt made so far. */
@Schema(name = "WebhookDelivery")
record WebhookDeliveryView(
        UUID id,
        @Schema(description = "The webhook-id header and the payload's id; the same on every attempt")
        UUID eventId,
        String eventType,
        @Schema(description = "PENDING (more attempts to come), DELIVERED (a 2xx answer) or FAILED (attempts used up)")
        String status,
        int attempts,
        @Schema(description = "When the next attempt is due; null once delivered or failed")
        Instant nextAttemptAt,
        Instant createdAt,
        Instant finishedAt,
        List<Attempt> attemptLog) {

    @Schema(name = "WebhookDeliveryAttempt")
    record Attempt(
            int attempt,
            Instant attemptedAt,
            @Schema(description = "The replica that sent it")
            String attemptedBy,
            @Schema(description = "The receiver's HTTP status; null when no answer came")
            Integer statusCode,
            @Schema(description = "Why no answer came (refused, timed out, ...), or the non-2xx status")
            String error,
            double durationMs) {
    }
}
