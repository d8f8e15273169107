package org.chestlens.interop.webhook;

import io.swagger.v3.oas.annotations.media.Schema;

/** Pauses or resumes a subscription, or changes its description; absent fields stay as they are. */
@Schema(name = "WebhookSubscriptionPatch")
record WebhookSubscriptionPatch(
        @Schema(description = "false pauses deliveries (pending ones wait), true resumes them")
        Boolean active,
        String description) {
}
