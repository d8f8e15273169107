package org.chestlens.interop.webhook;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The events a subscription can ask for, by their wire names. */
enum WebhookEventType {
    PREDICTION_COMPLETED("prediction.completed"),
    PREDICTION_FAILED("prediction.failed");

    private final String wireName;

    WebhookEventType(String wireName) {
        this.wireName = wireName;
    }

    String wireName() {
        return wireName;
    }

    static Optional<WebhookEventType> ofWireName(String name) {
        return Arrays.stream(values()).filter(t -> t.wireName.equals(name)).findFirst();
    }

    static List<String> wireNames() {
        return Arrays.stream(values()).map(WebhookEventType::wireName).toList();
    }
}
