package org.chestlens.interop.hl7;

import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

import org.chestlens.interop.outbox.AfterCommit;
import org.chestlens.interop.outbox.Backoff;
import org.chestlens.platform.InstanceName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

/**
 * The write side of the HL7 outbox, like the webhook one: the prediction package publishes its events inside
 * the transaction that stores the result, and this writes one ORU^R01 per destination that wants the event in
 * that same transaction (MANDATORY), rendered now from the stored rows. After the commit the destinations'
 * workers are woken.
 */
@Component
class Hl7Outbox {

    private static final Logger log = LoggerFactory.getLogger(Hl7Outbox.class);

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
            PredictionView p = prediction;
            HospitalIdentifiers ids = identifiers;
            enqueue(destination, COMPLETED, controlId, event.predictionId(), event.imageId(), () -> OruMessages
                    .completed(header(properties, destination), controlId, Instant.now(), p, ids));
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
            HospitalIdentifiers ids = identifiers;
            enqueue(destination, FAILED, controlId, null, event.imageId(), () -> OruMessages.failed(
                    header(properties, destination), controlId, Instant.now(), event.imageId(), event.modelId(),
                    event.modelVersion(), event.reason(), event.occurredAt(), ids));
            woken.add(destination.name());
        }
        wakeAfterCommit(woken);
    }

    /**
     * Writes the message; one that cannot be built (HAPI's validation refused a value) is recorded FAILED with the
     * reason instead of failing the transaction: the result itself must be stored either way.
     */
    private void enqueue(Hl7Properties.Destination destination, String eventType, String controlId,
                         UUID predictionId, UUID imageId, Supplier<String> build) {
        String er7;
        try {
            er7 = build.get();
        } catch (RuntimeException e) {
            log.error("HL7 message for image {} to {} could not be built: {}", imageId, destination.name(),
                    e.getClass().getSimpleName());
            store.enqueueUnbuilt(destination.name(), eventType, controlId, predictionId, imageId, InstanceName.hostName(),
                    Backoff.cut("not built: " + e.getMessage()));
            return;
        }
        store.enqueue(destination.name(), eventType, controlId, predictionId, imageId, er7);
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
        AfterCommit.run(() -> destinations.forEach(dispatcher::wake));
    }
}
