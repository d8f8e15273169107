package org.chestlens.interop.webhook;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/** Cursor-paginated lists of subscriptions (oldest first) and of a subscription's deliveries (newest first). */
final class WebhookPages {

    private WebhookPages() {
    }

    @Schema(name = "WebhookSubscriptionPage")
    record Subscriptions(List<WebhookSubscriptionView> items,
                         @JsonInclude(JsonInclude.Include.NON_NULL)
                         @Schema(description = "Opaque cursor of the next page; absent on the last page", nullable = true)
                         String nextCursor) {
    }

    @Schema(name = "WebhookDeliveryPage")
    record Deliveries(List<WebhookDeliveryView> items,
                      @JsonInclude(JsonInclude.Include.NON_NULL)
                      @Schema(description = "Opaque cursor of the next page; absent on the last page", nullable = true)
                      String nextCursor) {
    }
}
