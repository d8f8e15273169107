package org.chestlens.interop.webhook;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/** A subscription as clients see it: never with its secret, except in the answer that created it. */
@Schema(name = "WebhookSubscription")
record WebhookSubscriptionView(
        UUID id,
        String url,
        List<String> eventTypes,
        String description,
        boolean active,
        Instant createdAt,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "The signing secret; only in the answer to POST /api/v1/webhooks. Store it: it is "
                + "never shown again")
        String secret) {

    WebhookSubscriptionView withSecret(SigningSecret signingSecret) {
        return new WebhookSubscriptionView(id, url, eventTypes, description, active, createdAt,
                signingSecret.reveal());
    }

    @Override
    public String toString() {
        return "WebhookSubscriptionView[id=" + id + ", active=" + active + "]";
    }
}
