package org.chestlens.interop.webhook;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Webhook;
import io.swagger.v3.oas.annotations.Webhooks;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.parameters.RequestBody;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Component;

/**
 * The OpenAPI {@code webhooks} section: what each event POSTs to a subscriber. springdoc reads
 * {@link Webhooks} from a bean's class; this bean exists only to carry it.
 */
@Component
@Webhooks({
        @Webhook(name = "prediction.completed", operation = @Operation(operationId = "receivePredictionCompleted",
                tags = "Webhooks", summary = "A prediction was stored",
                description = "Signed with the Standard Webhooks headers webhook-id, webhook-timestamp and "
                        + "webhook-signature. Carries the hospital identifiers the image came with (accession number, "
                        + "Study/Series/SOP Instance UID, the upload's subject), absent ones omitted.",
                requestBody = @RequestBody(required = true, content = @Content(mediaType = "application/json",
                        schema = @Schema(implementation = WebhookPayload.CompletedEvent.class))),
                responses = {
                        @ApiResponse(responseCode = "200", description = "Any 2xx: delivered"),
                        @ApiResponse(responseCode = "400", description = "Any other answer, or none within the "
                                + "timeout: retried with backoff", content = @Content(
                                mediaType = "application/problem+json",
                                schema = @Schema(implementation = ProblemDetail.class)))})),
        @Webhook(name = "prediction.failed", operation = @Operation(operationId = "receivePredictionFailed",
                tags = "Webhooks", summary = "An image could not be scored (its attempts are used up)",
                description = "Signed like prediction.completed; carries the same hospital identifiers.",
                requestBody = @RequestBody(required = true, content = @Content(mediaType = "application/json",
                        schema = @Schema(implementation = WebhookPayload.FailedEvent.class))),
                responses = {
                        @ApiResponse(responseCode = "200", description = "Any 2xx: delivered"),
                        @ApiResponse(responseCode = "400", description = "Any other answer, or none within the "
                                + "timeout: retried with backoff", content = @Content(
                                mediaType = "application/problem+json",
                                schema = @Schema(implementation = ProblemDetail.class)))}))})
class WebhookEventsDocumentation {
}
