package org.chestlens.interop.pacs;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.chestlens.interop.outbox.AfterCommit;
import org.chestlens.prediction.DicomAttributes;
import org.chestlens.prediction.DicomImageQueued;
import org.chestlens.prediction.ImageView;
import org.chestlens.prediction.PredictionCompleted;
import org.chestlens.prediction.PredictionFailed;
import org.chestlens.prediction.PredictionStore;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The write side of the PACS outbox. The source header's patient module exists only while the upload's
 * transaction runs, so the rows (one per destination and object) are written then, WAITING, with the module
 * sealed ({@link PatientModuleSeal}); the prediction's transaction makes them due, and the job's final failure
 * deletes them. Both in the publisher's transaction (MANDATORY), like the webhook and HL7 outboxes. PNG uploads
 * publish no {@link DicomImageQueued} and have no study: they get no rows.
 */
@Component
class PacsOutbox {

    private final PacsStore store;
    private final PacsDispatcher dispatcher;
    private final PacsProperties properties;
    private final PatientModuleSeal seal;
    private final PredictionStore predictions;

    PacsOutbox(PacsStore store, PacsDispatcher dispatcher, PacsProperties properties, PatientModuleSeal seal,
               PredictionStore predictions) {
        this.store = store;
        this.dispatcher = dispatcher;
        this.properties = properties;
        this.seal = seal;
        this.predictions = predictions;
    }

    @EventListener
    @Transactional(propagation = Propagation.MANDATORY)
    void on(DicomImageQueued event) {
        for (PacsProperties.Destination destination : properties.destinations()) {
            for (String type : destination.objectTypes()) {
                UUID id = UUID.randomUUID();
                store.enqueueWaiting(id, destination.name(), type, event.imageId(), event.modelId(),
                        event.modelVersion(), seal.seal(event.patient(), id));
            }
        }
    }

    @EventListener
    @Transactional(propagation = Propagation.MANDATORY)
    void on(PredictionCompleted event) {
        if (properties.destinations().isEmpty()) {
            return;
        }
        List<String> due = store.activate(event.imageId(), event.modelId(), event.modelVersion(),
                event.predictionId());
        Set<String> woken = new LinkedHashSet<>();
        due.forEach(d -> woken.add(d.substring(0, d.indexOf('/'))));
        if (due.isEmpty() && hasStudy(event.imageId())) {
            // Scored without rows waiting (destinations configured after the upload, or a model version added
            // later): nowhere to take a patient module from, so the objects go with the empty one.
            for (PacsProperties.Destination destination : properties.destinations()) {
                for (String type : destination.objectTypes()) {
                    store.enqueuePending(destination.name(), type, event.imageId(), event.modelId(),
                            event.modelVersion(), event.predictionId());
                }
                woken.add(destination.name());
            }
        }
        if (!woken.isEmpty()) {
            AfterCommit.run(() -> woken.forEach(dispatcher::wake));
        }
    }

    @EventListener
    @Transactional(propagation = Propagation.MANDATORY)
    void on(PredictionFailed event) {
        store.dropWaiting(event.imageId(), event.modelId(), event.modelVersion());
    }

    private boolean hasStudy(UUID imageId) {
        return predictions.image(imageId).map(ImageView::dicom).map(DicomAttributes::studyInstanceUid).isPresent();
    }
}
