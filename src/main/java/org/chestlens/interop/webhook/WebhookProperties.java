package org.chestlens.interop.webhook;

import java.net.URI;
import java.time.Duration;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Webhook delivery. Retries wait {@code backoffBase * 2^(attempt-1)}, at most {@code backoffMax},
 * each with up to half of it taken off at random (so receivers that come back are not hit by every
 * replica's retries at once).
 *
 * @param dispatch whether this replica sends deliveries; every replica writes the outbox regardless
 * @param pollInterval how often the outbox is checked for due deliveries (retries, other replicas'
 *                     events); new events wake the dispatcher at once after their commit
 * @param timeout timeout of one whole attempt: connecting, the answer and its body
 * @param maxAttempts attempts per delivery before it is marked FAILED
 * @param backoffBase wait before the second attempt
 * @param backoffMax longest wait between attempts
 * @param batchSize most deliveries claimed (and sent concurrently) at once, per round
 * @param publicBaseUrl the service's external address (e.g. https://chestlens.hospital.example); when set,
 *                      the links in payloads are absolute, otherwise they are paths
 * @param allowLoopback whether receivers on the service's own host are allowed; link-local (cloud metadata),
 *                      wildcard and multicast addresses are always refused, at subscription and before each
 *                      attempt; private ranges are allowed (receivers live in the hospital network)
 */
@Validated
@ConfigurationProperties("chestlens.webhooks")
record WebhookProperties(
        @DefaultValue("true") boolean dispatch,
        @DefaultValue("5s") Duration pollInterval,
        @DefaultValue("10s") Duration timeout,
        @Min(1) @Max(100) @DefaultValue("10") int maxAttempts,
        @DefaultValue("10s") Duration backoffBase,
        @DefaultValue("1h") Duration backoffMax,
        @Min(1) @Max(256) @DefaultValue("16") int batchSize,
        URI publicBaseUrl,
        @DefaultValue("false") boolean allowLoopback) {

    /**
     * A dispatcher's hold on a delivery while it sends it: after that the delivery is due again
     * (its dispatcher died mid-attempt). Longer than any attempt can take.
     */
    Duration lease() {
        return timeout.multipliedBy(2).plusSeconds(5);
    }
}
