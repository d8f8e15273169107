package org.chestlens.interop.webhook;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import org.chestlens.prediction.HospitalIdentifiers;
import org.chestlens.prediction.OutOfDistribution;

/**
 * The JSON body of a webhook, in the Standard Webhooks shape ({@code type}, {@code timestamp} = when
 * the event occurred, {@code data}) plus the event {@code id}, which is also the {@code webhook-id}
 * header. Ids, the model and its answer, the hospital identifiers the image came with (so a receiver can file
 * the result without a lookup) and links to fetch more. Never a name, birth date or address: the service never
 * stores them.
 */
record WebhookPayload(UUID id, String type, Instant timestamp, Object data) {

    /** The documented shape of a prediction.completed body (the OpenAPI webhooks section). */
    @Schema(name = "PredictionCompletedEvent", requiredProperties = {"id", "type", "timestamp", "data"})
    record CompletedEvent(@Schema(description = "Also the webhook-id header") UUID id,
                          @Schema(allowableValues = "prediction.completed") String type,
                          @Schema(description = "When the prediction was stored") Instant timestamp,
                          Completed data) {
    }

    /** The documented shape of a prediction.failed body. */
    @Schema(name = "PredictionFailedEvent", requiredProperties = {"id", "type", "timestamp", "data"})
    record FailedEvent(@Schema(description = "Also the webhook-id header") UUID id,
                       @Schema(allowableValues = "prediction.failed") String type,
                       @Schema(description = "When the job failed for good") Instant timestamp,
                       Failed data) {
    }

    @Schema(name = "PredictionCompletedEventData",
            requiredProperties = {"imageId", "predictionId", "model", "predictedClass", "probabilities", "confidence",
                    "identifiers", "links"})
    record Completed(UUID imageId, UUID predictionId, Model model, PredictedClass predictedClass,
                     Map<String, Double> probabilities, double confidence,
                     @JsonInclude(JsonInclude.Include.NON_NULL) String notice,
                     @JsonInclude(JsonInclude.Include.NON_NULL) OutOfDistribution outOfDistribution,
                     @JsonInclude(JsonInclude.Include.NON_NULL)
                     @Schema(description = "Findings positive at the model version's active operating point; absent "
                             + "when none is active") List<String> flags,
                     HospitalIdentifiers identifiers, Links links,
                     @JsonInclude(JsonInclude.Include.NON_NULL)
                     @Schema(description = "Present when a calibration was active for the model version: its id")
                     UUID calibrationId,
                     @JsonInclude(JsonInclude.Include.NON_NULL)
                     @Schema(description = "Present when a calibration was active: the probabilities mapped through "
                             + "it, by class code; probabilities stay the raw ones")
                     Map<String, Double> calibratedProbabilities) {
    }

    @Schema(name = "PredictionFailedEventData",
            requiredProperties = {"imageId", "model", "attempts", "reason", "identifiers", "links"})
    record Failed(UUID imageId, Model model, int attempts, String reason, HospitalIdentifiers identifiers,
                  Links links) {
    }

    @Schema(name = "WebhookModel", requiredProperties = {"id", "version"})
    record Model(String id, String version) {
    }

    @Schema(name = "WebhookPredictedClass", requiredProperties = {"index", "code", "name"})
    record PredictedClass(int index, String code, String name) {
    }

    /** REST resources (and the FHIR form of the prediction); absolute when a public base URL is configured. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "WebhookLinks")
    record Links(String image, String prediction, String fhir) {
    }
}
