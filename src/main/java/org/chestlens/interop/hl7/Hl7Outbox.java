package org.chestlens.interop.hl7;

import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;

import org.chestlens.prediction.HospitalIdentifiers;
import org.chestlens.prediction.HospitalLookup;
import org.chestlens.prediction.PredictionCompleted;
import org.chestlens.prediction.PredictionFailed;
import org.chestlens.prediction.PredictionStore;
import org.chestlens.prediction.PredictionView;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The write side of the HL7 outbox, like the webhook one: the prediction package publishes its events inside
 * the transaction that stores the result, and this writes one ORU^R01 per destination that wants the event in
 * that same transaction (MANDATORY), rendered now from the stored rows. After the commit the destinations'
 * workers are woken.
 */
@Component
class Hl7Outbox {

    static final String COMPLETED = "prediction.completed";
    static final String FAILED = "prediction.failed";

    private final Hl7Store store;
    private final MllpDispatcher dispatcher;
    private final Hl7Properties properties;
    private final PredictionStore predictions;
    private final HospitalLookup lookup;

    Hl7Outbox(Hl7Store store, MllpDispatcher dispatcher, Hl7Properties properties, PredictionStore predictions,
              HospitalLookup lookup) {
        this.store = store;
        this.dispatcher = dispatcher;
        this.properties = properties;
        this.predictions = predictions;
        this.lookup = lookup;
    }

    @EventListener
    @Transactional(propagation = Propagation.MANDATORY)
    void on(PredictionCompleted event) {
        Set<String> woken = new LinkedHashSet<>();
        PredictionView prediction = null;
        HospitalIdentifiers identifiers = null;
        for (Hl7Properties.Destination destination : properties.destinations()) {
            if (!destination.events().contains(COMPLETED)) {
                continue;
            }
            if (prediction == null) {
                prediction = predictions.prediction(event.predictionId()).orElseThrow();
                identifiers = lookup.identifiers(event.imageId());
            }
            String controlId = OruMessages.newControlId();
            store.enqueue(destination.name(), COMPLETED, controlId, event.predictionId(), event.imageId(),
                    OruMessages.completed(header(properties, destination), controlId, Instant.now(), prediction,
                            identifiers));
            woken.add(destination.name());
        }
        wakeAfterCommit(woken);
    }

    @EventListener
    @Transactional(propagation = Propagation.MANDATORY)
    void on(PredictionFailed event) {
        Set<String> woken = new LinkedHashSet<>();
        HospitalIdentifiers identifiers = null;
        for (Hl7Properties.Destination destination : properties.destinations()) {
            if (!destination.events().contains(FAILED)) {
                continue;
            }
            if (identifiers == null) {
                identifiers = lookup.identifiers(event.imageId());
            }
            String controlId = OruMessages.newControlId();
            store.enqueue(destination.name(), FAILED, controlId, null, event.imageId(),
                    OruMessages.failed(header(properties, destination), controlId, Instant.now(), event.imageId(),
                            event.modelId(), event.modelVersion(), event.reason(), event.occurredAt(), identifiers));
            woken.add(destination.name());
        }
        wakeAfterCommit(woken);
    }

    /** MSH-3 to MSH-6 and MSH-11 for a destination (its own receiving application/facility when it names them). */
    static OruMessages.Header header(Hl7Properties properties, Hl7Properties.Destination destination) {
        return new OruMessages.Header(properties.sendingApplication(), properties.sendingFacility(),
                destination != null && destination.receivingApplication() != null
                        ? destination.receivingApplication() : properties.receivingApplication(),
                destination != null && destination.receivingFacility() != null
                        ? destination.receivingFacility() : properties.receivingFacility(),
                properties.processingId());
    }

    private void wakeAfterCommit(Set<String> destinations) {
        if (destinations.isEmpty()) {
            return;
        }
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                destinations.forEach(dispatcher::wake);
            }
        });
    }
}
