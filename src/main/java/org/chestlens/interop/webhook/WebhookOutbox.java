package org.chestlens.interop.webhook;

import java.net.URI;
import java.time.Instant;
import java.util.UUID;

import org.chestlens.interop.outbox.AfterCommit;
import org.chestlens.prediction.HospitalLookup;
import org.chestlens.prediction.PredictionCompleted;
import org.chestlens.prediction.PredictionFailed;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * The write side of the transactional outbox. The prediction package publishes its events
 * synchronously inside the transaction that stores the prediction (or the final failure); these
 * listeners write the event and its deliveries in that same transaction (MANDATORY: never on their
 * own), so the announcement commits or rolls back with the result. After the commit the dispatcher
 * is woken, so a delivery normally leaves within milliseconds rather than at the next poll.
 */
@Component
class WebhookOutbox {

    private final WebhookStore store;
    private final WebhookDispatcher dispatcher;
    private final WebhookProperties properties;
    private final JsonMapper json;
    private final HospitalLookup lookup;

    WebhookOutbox(WebhookStore store, WebhookDispatcher dispatcher, WebhookProperties properties, JsonMapper json,
                  HospitalLookup lookup) {
        this.lookup = lookup;
        this.store = store;
        this.dispatcher = dispatcher;
        this.properties = properties;
        this.json = json;
    }

    @EventListener
    @Transactional(propagation = Propagation.MANDATORY)
    void on(PredictionCompleted event) {
        if (!store.hasSubscribers(WebhookEventType.PREDICTION_COMPLETED)) {
            return;
        }
        String prediction = link("/api/v1/predictions/" + event.predictionId());
        enqueue(WebhookEventType.PREDICTION_COMPLETED, event.occurredAt(), new WebhookPayload.Completed(
                event.imageId(), event.predictionId(), new WebhookPayload.Model(event.modelId(), event.modelVersion()),
                new WebhookPayload.PredictedClass(event.predictedClass().index(), event.predictedClass().code(),
                        event.predictedClass().description()),
                event.probabilities(), event.confidence(), event.notice(), event.outOfDistribution(), event.flags(),
                lookup.identifiers(event.imageId()),
                new WebhookPayload.Links(link("/api/v1/images/" + event.imageId()), prediction, prediction + "/fhir"),
                event.calibrationId(), event.calibratedProbabilities()));
    }

    @EventListener
    @Transactional(propagation = Propagation.MANDATORY)
    void on(PredictionFailed event) {
        if (!store.hasSubscribers(WebhookEventType.PREDICTION_FAILED)) {
            return;
        }
        enqueue(WebhookEventType.PREDICTION_FAILED, event.occurredAt(), new WebhookPayload.Failed(event.imageId(),
                new WebhookPayload.Model(event.modelId(), event.modelVersion()), event.attempts(), event.reason(),
                lookup.identifiers(event.imageId()), new WebhookPayload.Links(link("/api/v1/images/" + event.imageId()), null, null)));
    }

    private void enqueue(WebhookEventType type, Instant occurredAt, Object data) {
        UUID eventId = UUID.randomUUID();
        String payload = json.writeValueAsString(new WebhookPayload(eventId, type.wireName(), occurredAt, data));
        if (store.enqueue(eventId, type, payload, occurredAt) > 0) {
            AfterCommit.run(dispatcher::wake);
        }
    }

    private String link(String path) {
        URI base = properties.publicBaseUrl();
        if (base == null) {
            return path;
        }
        String root = base.toString();
        return (root.endsWith("/") ? root.substring(0, root.length() - 1) : root) + path;
    }
}
