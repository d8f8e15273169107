package org.chestlens.prediction;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collections;
import java.util.UUID;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Writes prediction rows, one per image and model version, and announces each new one with a
 * {@link PredictionCompleted} in the same transaction (the webhook outbox writes its event there).
 */
@Component
class PredictionWriter {

    /** A prediction's insert parameters; the statement's named parameters are its components. */
    private record PredictionRow(UUID id, UUID imageId, long modelVersionId, short predictedClass, double pCvx0,
                                 double pCvx1, double pCvx2, double pCvx3, double scoreCvx03vs12,
                                 Double scoreCvx0vs3, Double scoreCvx1vs2, double confidence, Double[] foldSpread,
                                 double decodeMs, double waitMs, double inferenceMs, Timestamp createdAt,
                                 Double oodScore, Double oodThreshold, Boolean oodFlagged, String[] flags,
                                 Integer operatingPointVersion) {

        static PredictionRow of(UUID imageId, long modelVersionId, NewPrediction p, Instant createdAt,
                                OperatingPoints.Flags flags) {
            double[] probabilities = p.probabilities();
            OutOfDistribution ood = p.outOfDistribution();
            return new PredictionRow(UUID.randomUUID(), imageId, modelVersionId, (short) p.predictedClass().index(),
                    probabilities[0], probabilities[1], probabilities[2], probabilities[3], p.scoreCvx03vs12(),
                    p.scoreCvx0vs3(), p.scoreCvx1vs2(), p.confidence(), boxed(p.foldSpread()), p.decodeMillis(),
                    p.waitMillis(), p.inferenceMillis(), Timestamp.from(createdAt),
                    ood == null ? null : ood.score(), ood == null ? null : ood.threshold(),
                    ood == null ? null : ood.flagged(),
                    flags == null ? null : flags.findings().toArray(String[]::new),
                    flags == null ? null : flags.configurationVersion());
        }
    }

    private final JdbcClient jdbc;
    private final ModelVersionRegistry modelVersions;
    private final ApplicationEventPublisher events;
    private final OperatingPoints operatingPoints;
    private final ObjectProvider<CalibrationProvider> calibration;

    PredictionWriter(JdbcClient jdbc, ModelVersionRegistry modelVersions, ApplicationEventPublisher events,
                     OperatingPoints operatingPoints, ObjectProvider<CalibrationProvider> calibration) {
        this.jdbc = jdbc;
        this.modelVersions = modelVersions;
        this.events = events;
        this.operatingPoints = operatingPoints;
        this.calibration = calibration;
    }

    /**
     * Stores the prediction unless the image has one for this model version already (a job run twice), with the
     * flags of the model version's active operating point.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    void store(UUID imageId, NewPrediction p, Instant now) {
        ModelVersionRegistry.ModelVersionRow version = modelVersions.find(p.modelId(), p.modelVersion())
                .orElseThrow();
        OperatingPoints.Flags flags = operatingPoints.flagsFor(version.id(), p.probabilities()).orElse(null);
        jdbc.sql("""
                        INSERT INTO prediction (id, image_id, model_version_id, predicted_class, p_cvx0, p_cvx1,
                            p_cvx2, p_cvx3, score_cvx03vs12, score_cvx0vs3, score_cvx1vs2, confidence, fold_spread,
                            decode_ms, wait_ms, inference_ms, created_at, ood_score, ood_threshold, ood_flagged,
                            flags, operating_point_version)
                        VALUES (:id, :imageId, :modelVersionId, :predictedClass, :pCvx0, :pCvx1, :pCvx2, :pCvx3,
                            :scoreCvx03vs12, :scoreCvx0vs3, :scoreCvx1vs2, :confidence, :foldSpread, :decodeMs,
                            :waitMs, :inferenceMs, :createdAt, :oodScore, :oodThreshold, :oodFlagged, :flags,
                            :operatingPointVersion)
                        ON CONFLICT (image_id, model_version_id) DO NOTHING
                        RETURNING id""")
                .paramSource(PredictionRow.of(imageId, version.id(), p, now, flags))
                .query(UUID.class)
                .optional()
                .ifPresent(predictionId -> {
                    if (p.activationMaps() != null) {
                        storeMaps(predictionId, p.activationMaps());
                    }
                    CalibrationProvider calibrations = calibration.getIfAvailable();
                    CalibratedScores calibrated = calibrations == null ? null
                            : calibrations.calibrate(version.id(), p.probabilities()).orElse(null);
                    events.publishEvent(new PredictionCompleted(predictionId, imageId,
                            p.modelId(), p.modelVersion(), p.predictedClass(),
                            Collections.unmodifiableMap(PredictionView.byClass(p.probabilities())), p.confidence(),
                            PredictionView.noticeFor(version), p.outOfDistribution(),
                            flags == null ? null : flags.findings(), now,
                            calibrated == null ? null : calibrated.calibrationId(),
                            calibrated == null ? null
                                    : Collections.unmodifiableMap(PredictionView.byClass(calibrated.probabilities()))));
                });
    }

    private void storeMaps(UUID predictionId, ActivationMaps maps) {
        jdbc.sql("""
                        INSERT INTO prediction_activation_map (prediction_id, outputs, height, width, grid)
                        VALUES (:id, :outputs, :height, :width, :grid)""")
                .param("id", predictionId).param("outputs", maps.outputs().toArray(String[]::new))
                .param("height", maps.height()).param("width", maps.width())
                .param("grid", JobStore.toBytes(maps.values()))
                .update();
    }

    private static Double[] boxed(double[] values) {
        Double[] boxed = new Double[values.length];
        for (int i = 0; i < values.length; i++) {
            boxed[i] = values[i];
        }
        return boxed;
    }
}
