package org.chestlens.interop.webhook;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The JSON body of a webhook, in the Standard Webhooks shape ({@code type}, {@code timestamp} = when
 * the event occurred, {@code data}) plus the event {@code id}, which is also the {@code webhook-id}
 * header. No patient identity: ids, the model and its answer, and links to fetch more.
 */
record WebhookPayload(UUID id, String type, Instant timestamp, Object data) {

    record Completed(UUID imageId, UUID predictionId, Model model, PredictedClass predictedClass,
                     Map<String, Double> probabilities, double confidence,
                     @JsonInclude(JsonInclude.Include.NON_NULL) String notice, Links links) {
    }

    record Failed(UUID imageId, Model model, int attempts, String reason, Links links) {
    }

    record Model(String id, String version) {
    }

    record PredictedClass(int index, String code, String name) {
    }

    /** REST resources (and the FHIR form of the prediction); absolute when a public base URL is configured. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Links(String image, String prediction, String fhir) {
    }
}
