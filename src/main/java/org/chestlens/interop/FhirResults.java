package org.chestlens.interop;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import ca.uhn.fhir.context.FhirContext;
import org.chestlens.prediction.ImageView;
import org.chestlens.prediction.PredictionStore;
import org.chestlens.prediction.PredictionView;
import org.hl7.fhir.r4.model.Bundle;
import org.springframework.stereotype.Service;

/** A stored prediction as a FHIR R4 Bundle (see {@link FhirResultMapper}), read through prediction's public API. */
@Service
class FhirResults {

    private final PredictionStore store;
    private final FhirContext fhir;

    FhirResults(PredictionStore store, FhirContext fhir) {
        this.store = store;
        this.fhir = fhir;
    }

    Optional<Bundle> bundle(UUID predictionId) {
        return store.prediction(predictionId).map(this::bundle);
    }

    Bundle bundle(PredictionView prediction) {
        ImageView image = store.image(prediction.imageId()).orElseThrow(
                () -> new IllegalStateException("Prediction " + prediction.id() + " has no image"));
        String subject = store.subjectReference(prediction.imageId()).orElse(null);
        return FhirResultMapper.bundle(prediction, image, subject, Instant.now());
    }

    String json(Bundle bundle) {
        // HAPI strips "/_history/n" from references by default; a client that named a version meant it.
        return fhir.newJsonParser().setStripVersionsFromReferences(false).encodeResourceToString(bundle);
    }
}
