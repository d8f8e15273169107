package org.chestlens.interop.webhook;

import java.util.List;

import io.swagger.v3.oas.annotations.media.Schema;

/** A new subscription. Checked by {@link WebhookSubscriptions}, which answers 400 with the reason. */
@Schema(name = "WebhookSubscriptionRequest")
record WebhookSubscriptionRequest(
        @Schema(description = "Absolute http or https URL that receives the POSTs",
                example = "https://engine.hospital.example/chestlens")
        String url,
        @Schema(description = "Standard Webhooks signing secret, whsec_ + base64 of 24-64 random bytes; when omitted "
                + "the service generates one and returns it in this response only")
        String secret,
        @Schema(description = "Events to receive; all when omitted", example = "[\"prediction.completed\"]")
        List<String> eventTypes,
        @Schema(description = "Free text for operators", example = "Mirth channel 12")
        String description) {

    @Override
    public String toString() {
        return "WebhookSubscriptionRequest[url=" + url + ", secret=" + (secret == null ? null : "***")
                + ", eventTypes=" + eventTypes + ", description=" + description + "]";
    }
}
