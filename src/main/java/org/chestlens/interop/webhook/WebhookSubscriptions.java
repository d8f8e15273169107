package org.chestlens.interop.webhook;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.KeysetCursor;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

/** Subscribing, with the checks that turn a bad request into a 400 naming the field. */
@Service
class WebhookSubscriptions {

    static final int MAX_URL_LENGTH = 2048;
    static final int MAX_DESCRIPTION_LENGTH = 500;
    static final int MAX_DELIVERIES = 200;

    private final WebhookStore store;
    private final WebhookProperties properties;

    WebhookSubscriptions(WebhookStore store, WebhookProperties properties) {
        this.store = store;
        this.properties = properties;
    }

    /** Creates the subscription; the answer is the only place its secret is ever shown. */
    WebhookSubscriptionView subscribe(WebhookSubscriptionRequest request) {
        if (request == null) {
            throw invalid("body", "A JSON body with at least \"url\" is required.");
        }
        URI url = validUrl(request.url());
        TargetPolicy.refusal(url.getHost(), properties.allowLoopback()).ifPresent(refusal -> {
            throw invalid("url", "The URL's host resolves to a " + refusal + ".");
        });
        SigningSecret secret = request.secret() == null ? SigningSecret.generate()
                : SigningSecret.parse(request.secret()).orElseThrow(() -> invalid("secret",
                        "The secret must be " + SigningSecret.requirement() + "."));
        List<String> types = eventTypes(request.eventTypes());
        String description = description(request.description());
        return store.create(url.toString(), secret, types, description).withSecret(secret);
    }

    WebhookPages.Subscriptions list(int limit, String cursor) {
        KeysetCursor.Slice<WebhookSubscriptionView> page = KeysetCursor.slice(
                store.list(limit, KeysetCursor.decode(cursor)), limit, s -> new KeysetCursor(s.createdAt(), s.id()));
        return new WebhookPages.Subscriptions(page.items(), page.nextCursor());
    }

    WebhookSubscriptionView get(UUID id) {
        return store.find(id).orElseThrow(() -> ApiProblem.notFound("Webhook subscription", id));
    }

    WebhookSubscriptionView update(UUID id, WebhookSubscriptionPatch patch) {
        if (patch == null || patch.active() == null && patch.description() == null) {
            throw invalid("body", "Give \"active\" and/or \"description\".");
        }
        return store.update(id, patch.active(), description(patch.description()))
                .orElseThrow(() -> ApiProblem.notFound("Webhook subscription", id));
    }

    void delete(UUID id) {
        if (!store.delete(id)) {
            throw ApiProblem.notFound("Webhook subscription", id);
        }
    }

    WebhookPages.Deliveries deliveries(UUID id, int limit, String cursor) {
        get(id);
        KeysetCursor.Slice<WebhookDeliveryView> page = KeysetCursor.slice(
                store.deliveries(id, limit, KeysetCursor.decode(cursor)), limit, d -> new KeysetCursor(d.createdAt(), d.id()));
        return new WebhookPages.Deliveries(page.items(), page.nextCursor());
    }

    static URI validUrl(String url) {
        if (url == null || url.isBlank()) {
            throw invalid("url", "\"url\" is required: the absolute http or https URL that receives the events.");
        }
        if (url.length() > MAX_URL_LENGTH) {
            throw invalid("url", "The URL is longer than " + MAX_URL_LENGTH + " characters.");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw invalid("url", "The URL is not valid: " + e.getReason() + ".");
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!uri.isAbsolute() || !("http".equals(scheme) || "https".equals(scheme))) {
            throw invalid("url", "The URL must be absolute and use http or https.");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw invalid("url", "The URL has no host name.");
        }
        if (uri.getRawUserInfo() != null) {
            throw invalid("url", "The URL must not carry credentials: the signature authenticates the sender, and "
                    + "the URL is shown to anyone who may list the subscriptions.");
        }
        if (uri.getRawFragment() != null) {
            throw invalid("url", "The URL must not have a fragment (#...).");
        }
        return uri;
    }

    private static List<String> eventTypes(List<String> requested) {
        if (requested == null || requested.isEmpty()) {
            return WebhookEventType.wireNames();
        }
        List<String> types = new ArrayList<>();
        for (String name : requested) {
            WebhookEventType type = WebhookEventType.ofWireName(name).orElseThrow(() -> invalid("eventTypes",
                    "Unknown event type " + (name == null ? "null" : "'" + name + "'") + "; known: "
                            + WebhookEventType.wireNames() + "."));
            if (!types.contains(type.wireName())) {
                types.add(type.wireName());
            }
        }
        return types;
    }

    private static String description(String description) {
        if (description != null && description.length() > MAX_DESCRIPTION_LENGTH) {
            throw invalid("description", "The description is longer than " + MAX_DESCRIPTION_LENGTH + " characters.");
        }
        return description;
    }

    private static ApiProblem invalid(String field, String detail) {
        return new ApiProblem(HttpStatus.BAD_REQUEST, "invalid-webhook", "Invalid webhook subscription", detail,
                Map.of("field", field), null);
    }
}
