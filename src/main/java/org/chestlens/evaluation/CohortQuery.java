package org.chestlens.evaluation;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.chestlens.platform.ApiProblem;
import org.chestlens.prediction.ModelVersionRegistry;
import org.chestlens.prediction.ScoredImage;
import org.chestlens.prediction.ScoredImageFilter;
import org.chestlens.prediction.ScoredImages;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * The predictions of a cohort that have a reference label, with every error-analysis feature: the
 * labels from this module's store, the predictions and their images through the prediction module.
 */
@Component
class CohortQuery {

    private final ModelVersionRegistry modelVersions;
    private final ScoredImages scoredImages;
    private final LabelStore labels;

    CohortQuery(ModelVersionRegistry modelVersions, ScoredImages scoredImages, LabelStore labels) {
        this.modelVersions = modelVersions;
        this.scoredImages = scoredImages;
        this.labels = labels;
    }

    /** A labelled prediction: its case for the metrics and its feature values in {@link Features} order. */
    record Labelled(UUID predictionId, UUID imageId, long modelVersionId, Metrics.Case modelCase, Object[] features) {
    }

    /** The cohort with its model version filled in (the newest of the model when not given); 404 if unknown. */
    Cohort resolve(Cohort c) {
        if (c.modelId() == null || c.modelId().isBlank()) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "missing-model", "Model required", "Give modelId.");
        }
        String v = modelVersions.registeredVersion(c.modelId(), c.modelVersion())
                .orElseThrow(() -> ApiProblem.notFound("Model", c.modelId()
                        + (c.modelVersion() == null ? "" : " " + c.modelVersion())));
        return new Cohort(c.modelId(), v, c.receivedFrom(), c.receivedTo(), c.modality(), c.viewPosition(),
                c.manufacturer(), c.manufacturerModelName(), c.institutionName(), c.patientSex());
    }

    /** For a resolved cohort, ordered by image id. */
    List<Labelled> labelled(Cohort c) {
        Map<UUID, Integer> reference = labels.referenceLabels();
        return scoredImages.find(new ScoredImageFilter(c.modelId(), c.modelVersion(), reference.keySet(),
                        c.receivedFrom(), c.receivedTo(), c.modality(), c.viewPosition(), c.manufacturer(),
                        c.manufacturerModelName(), c.institutionName(), c.patientSex()))
                .stream()
                .map(s -> new Labelled(s.predictionId(), s.imageId(), s.modelVersionId(),
                        new Metrics.Case(reference.get(s.imageId()), s.probabilities(), s.predictedClass().index(),
                                s.scoreCvx03vs12(), s.scoreCvx0vs3(), s.scoreCvx1vs2()),
                        Features.valuesOf(s)))
                .toList();
    }

    /** The feature values of one prediction (labelled or not), in {@link Features} order. */
    Optional<Object[]> featuresOf(UUID predictionId) {
        return scoredImages.ofPrediction(predictionId).map(Features::valuesOf);
    }
}
