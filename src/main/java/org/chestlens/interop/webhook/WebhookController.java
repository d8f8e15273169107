package org.chestlens.interop.webhook;

import java.net.URI;
import java.util.List;
import java.util.UUID;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.chestlens.platform.security.RequiresRole;
import org.chestlens.platform.security.Role;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1/webhooks")
@Tag(name = "Webhooks", description = "Signed notifications (Standard Webhooks) when a prediction is ready or an "
        + "image could not be scored")
class WebhookController {

    private final WebhookSubscriptions subscriptions;

    WebhookController(WebhookSubscriptions subscriptions) {
        this.subscriptions = subscriptions;
    }

    @RequiresRole(value = Role.ADMIN, action = "webhook.create")
    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "createWebhookSubscription", summary = "Subscribe a URL to events",
            description = "201 with the subscription and its signing secret, which is never shown again. Each event "
            + "is POSTed with the headers webhook-id, webhook-timestamp and webhook-signature (v1,<base64 HMAC-SHA256 of id.timestamp.body>).")
    @ApiResponse(responseCode = "201", description = "Subscribed; the body holds the secret, this once",
            headers = @Header(name = "Location", description = "The created resource", schema = @Schema(type = "string")))
    @ApiResponse(responseCode = "400", description = "Not an absolute http(s) URL, a malformed secret, an unknown "
            + "event type", content = @Content(mediaType = "application/problem+json",
            schema = @Schema(implementation = ProblemDetail.class)))
    ResponseEntity<WebhookSubscriptionView> subscribe(
            @RequestBody(required = false) WebhookSubscriptionRequest request) {
        WebhookSubscriptionView created = subscriptions.subscribe(request);
        return ResponseEntity.created(URI.create("/api/v1/webhooks/" + created.id())).body(created);
    }

    @RequiresRole(value = Role.ADMIN, action = "webhook.list")
    @GetMapping
    @Operation(operationId = "listWebhookSubscriptions", summary = "All subscriptions (without their secrets)")
    WebhookPages.Subscriptions list(@RequestParam(defaultValue = "100") @Min(1) @Max(500) int limit,
                                    @Parameter(description = "nextCursor of the previous page")
                                    @RequestParam(required = false) String cursor) {
        return subscriptions.list(limit, cursor);
    }

    @RequiresRole(value = Role.ADMIN, action = "webhook.read")
    @GetMapping("/{id}")
    @Operation(operationId = "getWebhookSubscription", summary = "One subscription (without its secret)")
    WebhookSubscriptionView get(@PathVariable UUID id) {
        return subscriptions.get(id);
    }

    @RequiresRole(value = Role.ADMIN, action = "webhook.update")
    @PatchMapping(path = "/{id}", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "updateWebhookSubscription",
            summary = "Pause or resume a subscription, or change its description",
            description = "A paused subscription gets no new events; its pending deliveries wait until it is resumed.")
    WebhookSubscriptionView update(@PathVariable UUID id,
                                   @RequestBody(required = false) WebhookSubscriptionPatch patch) {
        return subscriptions.update(id, patch);
    }

    @RequiresRole(value = Role.ADMIN, action = "webhook.delete")
    @DeleteMapping("/{id}")
    @Operation(operationId = "deleteWebhookSubscription", summary = "Unsubscribe",
            description = "Removes the subscription, its pending deliveries and their log")
    @ApiResponse(responseCode = "204", description = "Removed")
    ResponseEntity<Void> delete(@PathVariable UUID id) {
        subscriptions.delete(id);
        return ResponseEntity.noContent().build();
    }

    @RequiresRole(value = Role.ADMIN, action = "webhook.deliveries")
    @GetMapping("/{id}/deliveries")
    @Operation(operationId = "listWebhookDeliveries",
            summary = "The subscription's deliveries, newest first, each with "
            + "every attempt (status code, error, duration)")
    WebhookPages.Deliveries deliveries(
            @PathVariable UUID id,
            @RequestParam(defaultValue = "50") @Min(1) @Max(WebhookSubscriptions.MAX_DELIVERIES) int limit,
            @Parameter(description = "nextCursor of the previous page") @RequestParam(required = false) String cursor) {
        return subscriptions.deliveries(id, limit, cursor);
    }
}
