package org.chestlens.interop.webhook;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.chestlens.interop.outbox.Backoff;
import org.chestlens.interop.outbox.OutboxWorker;
import org.chestlens.platform.DatabaseAvailability;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The read side of the outbox: one thread per replica claims due deliveries (FOR UPDATE SKIP
 * LOCKED, so replicas share the work), POSTs each claimed batch concurrently with a timeout, logs
 * every attempt and schedules retries with exponential backoff and jitter. It wakes on new
 * events (after their commit) and otherwise polls, which finds retries that fell due and the events
 * of replicas that died before sending them. Delivery is at least once: a receiver deduplicates by
 * {@code webhook-id}.
 */
@Component
class WebhookDispatcher implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);

    private final WebhookStore store;
    private final WebhookProperties properties;
    private final HttpClient http;
    private final String owner = OutboxWorker.newOwner();
    private final OutboxWorker worker;
    /** Attempts made whose outcome could not be recorded (the database went away meanwhile); worker thread only. */
    private final Deque<Unrecorded> unrecorded = new ArrayDeque<>();

    private record Unrecorded(WebhookStore.Claimed claimed, WebhookStore.Outcome outcome, Duration retryIn) {
    }

    WebhookDispatcher(WebhookStore store, WebhookProperties properties, DatabaseAvailability database) {
        this.store = store;
        this.properties = properties;
        this.http = HttpClient.newBuilder()
                .connectTimeout(properties.timeout())
                .followRedirects(HttpClient.Redirect.NEVER) // a redirect is not an acknowledgement
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        this.worker = new OutboxWorker("webhook-dispatcher", properties.pollInterval(), properties.batchSize(),
                this::dispatchDue, database, this::recordUnrecorded);
    }

    /** Called after a commit that wrote deliveries: look for due work now instead of at the next poll. */
    void wake() {
        worker.wake();
    }

    @Override
    public void start() {
        if (!properties.dispatch()) {
            log.info("Webhook dispatch is off on this replica (chestlens.webhooks.dispatch=false)");
            return;
        }
        worker.start();
    }

    @Override
    public void stop() {
        worker.stop(properties.timeout().plusSeconds(1));
    }

    @Override
    public boolean isRunning() {
        return worker.isRunning();
    }

    /** Claims one batch of due deliveries, sends them, records the outcomes; returns how many were claimed. */
    int dispatchDue() {
        List<WebhookStore.Claimed> batch = store.claim(owner, properties.lease(), properties.batchSize());
        List<CompletableFuture<WebhookStore.Outcome>> sent = batch.stream().map(this::send).toList();
        for (int i = 0; i < batch.size(); i++) {
            WebhookStore.Claimed claimed = batch.get(i);
            WebhookStore.Outcome outcome = sent.get(i).join();
            Duration retryIn = Backoff.after(claimed.attempt(), properties.backoffBase(), properties.backoffMax(),
                    ThreadLocalRandom.current());
            if (!unrecorded.isEmpty() || !record(new Unrecorded(claimed, outcome, retryIn))) {
                unrecorded.addLast(new Unrecorded(claimed, outcome, retryIn));
            }
            if (outcome.delivered()) {
                log.debug("Webhook delivery {} (event {}) delivered on attempt {}", claimed.deliveryId(),
                        claimed.eventId(), claimed.attempt());
            } else {
                // Ids only: the URL may carry a token, the secret never appears in a log.
                log.warn("Webhook delivery {} to subscription {} failed on attempt {} of {}: {}{}",
                        claimed.deliveryId(), claimed.subscriptionId(), claimed.attempt(), properties.maxAttempts(),
                        outcome.error(), claimed.attempt() >= properties.maxAttempts() ? "; giving up" : "");
            }
        }
        return batch.size();
    }

    /**
     * Records an attempt's outcome; false when the database is unavailable. Kept outcomes are recorded
     * before anything is claimed again, so a delivery that reached its receiver during an outage is not
     * sent a second time (as long as the outage is shorter than the lease, or no other replica claims it).
     */
    private boolean record(Unrecorded attempt) {
        try {
            store.record(attempt.claimed(), owner, attempt.outcome(), properties.maxAttempts(), attempt.retryIn());
            return true;
        } catch (RuntimeException e) {
            if (!DatabaseAvailability.isOutage(e)) {
                throw e;
            }
            log.warn("Outcome of webhook delivery {} waits for the database: {}", attempt.claimed().deliveryId(),
                    e.toString());
            return false;
        }
    }

    /** Records the outcomes kept during an outage, oldest first; false when the database is still away. */
    private boolean recordUnrecorded() {
        while (!unrecorded.isEmpty()) {
            if (!record(unrecorded.peekFirst())) {
                return false;
            }
            unrecorded.pollFirst();
        }
        return true;
    }

    private CompletableFuture<WebhookStore.Outcome> send(WebhookStore.Claimed claimed) {
        Instant attemptedAt = Instant.now();
        long start = System.nanoTime();
        HttpRequest request;
        try {
            Optional<String> refusal = TargetPolicy.refusal(URI.create(claimed.url()).getHost(),
                    properties.allowLoopback());
            if (refusal.isPresent()) {
                return CompletableFuture.completedFuture(new WebhookStore.Outcome(null,
                        "not sent: the host now resolves to a " + refusal.get(), elapsedMillis(start), attemptedAt));
            }
            long timestamp = attemptedAt.getEpochSecond();
            String messageId = claimed.eventId().toString();
            request = HttpRequest.newBuilder(URI.create(claimed.url()))
                    .timeout(properties.timeout())
                    .header("Content-Type", "application/json")
                    .header("User-Agent", "chestlens-webhooks")
                    .header("webhook-id", messageId)
                    .header("webhook-timestamp", Long.toString(timestamp))
                    .header("webhook-signature", claimed.secret().sign(messageId, timestamp, claimed.payload()))
                    .POST(HttpRequest.BodyPublishers.ofString(claimed.payload(), StandardCharsets.UTF_8))
                    .build();
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(new WebhookStore.Outcome(null, Backoff.describe(e),
                    elapsedMillis(start), attemptedAt));
        }
        // The request timeout ends when the headers arrive; a receiver trickling its body must not hold
        // this replica's whole dispatch round, so the whole exchange gets the timeout too.
        return http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                .orTimeout(properties.timeout().toMillis(), TimeUnit.MILLISECONDS)
                .handle((response, failure) -> {
                    double millis = elapsedMillis(start);
                    if (failure != null) {
                        return new WebhookStore.Outcome(null, Backoff.describe(failure), millis, attemptedAt);
                    }
                    int status = response.statusCode();
                    return new WebhookStore.Outcome(status, status >= 200 && status < 300 ? null : "HTTP " + status,
                            millis, attemptedAt);
                });
    }

    private static double elapsedMillis(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e6;
    }
}
