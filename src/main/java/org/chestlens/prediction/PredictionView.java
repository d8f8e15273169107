package org.chestlens.prediction;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;

/** A stored prediction with its provenance, as clients see it. */
@Schema(name = "Prediction")
public record PredictionView(
        UUID id,
        UUID imageId,
        ModelRef model,
        ClassRef predictedClass,
        @Schema(description = "Ensemble class probabilities, CVX0..CVX3; they sum to 1")
        Map<String, Double> probabilities,
        SubTaskScoresView subTaskScores,
        @Schema(description = "Probability of the predicted class")
        double confidence,
        @Schema(description = "Per class, the largest minus the smallest probability across the cross-validation folds")
        Map<String, Double> foldSpread,
        Timings timings,
        Instant createdAt,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "The priority its job was scored at: stat (scored before routine work) or routine; "
                + "absent for a prediction stored without a job", allowableValues = {"stat", "routine"})
        String priority,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "Present when the prediction must not be read as a finding: an untrained model, or "
                + "the model package's own notice (e.g. a demonstration model trained on synthetic images)")
        String notice,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "Present when an error analysis is active for the model version: how often the model "
                + "was wrong on labelled cases like this one")
        Reliability reliability,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        OutOfDistribution outOfDistribution,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "The findings (class codes) positive at the model version's operating point that was "
                + "active when the prediction was stored; absent when none was active")
        List<String> flags,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "The version of the operating point configuration that decided the flags")
        Integer operatingPointVersion,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "Present when a calibration is active for the model version: the calibration that "
                + "produced calibratedProbabilities and calibratedSubTaskScores")
        UUID calibrationId,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "Present when a calibration is active for the model version: the raw probabilities "
                + "mapped through it (computed on read; the raw probabilities never change), CVX0..CVX3, summing to 1")
        Map<String, Double> calibratedProbabilities,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "Present when a calibration is active: the sub-task scores of calibratedProbabilities")
        SubTaskScoresView calibratedSubTaskScores) {

    static final String UNTRAINED_NOTICE = "UNTRAINED MODEL: this prediction comes from randomly initialised "
            + "weights and means nothing. Not for clinical use.";

    @Schema(name = "ModelRef")
    public record ModelRef(String id, String version, boolean trained, List<String> foldChecksums) {
    }

    @Schema(name = "PredictedClass")
    public record ClassRef(int index, String code, String name) {
        static ClassRef of(ChestClass c) {
            return new ClassRef(c.index(), c.code(), c.description());
        }
    }

    @Schema(name = "SubTaskScores", description = "Hierarchy scores; a conditional score is null when undefined")
    public record SubTaskScoresView(
            @JsonProperty("CVX03vs12") @Schema(description = "P(COVID-19 features) = p1 + p2") double cvx03vs12,
            @JsonProperty("CVX0vs3") @Schema(description = "P(other abnormality | no COVID-19 features) = p3 / (p0 + p3)", nullable = true) Double cvx0vs3,
            @JsonProperty("CVX1vs2") @Schema(description = "P(indeterminate | COVID-19 features) = p2 / (p1 + p2)", nullable = true) Double cvx1vs2) {

        /** Derived from class probabilities CVX0..CVX3 as the model's own scores are (docs/innereye.md §1). */
        public static SubTaskScoresView of(double[] p) {
            return new SubTaskScoresView(p[1] + p[2], ratio(p[3], p[0] + p[3]), ratio(p[2], p[1] + p[2]));
        }

        private static Double ratio(double numerator, double denominator) {
            return denominator == 0.0 ? null : numerator / denominator;
        }

        /** The three scores by their API names, in hierarchy order; an undefined conditional score is null. */
        public Map<String, Double> byName() {
            Map<String, Double> scores = new LinkedHashMap<>();
            scores.put("CVX03vs12", cvx03vs12);
            scores.put("CVX0vs3", cvx0vs3);
            scores.put("CVX1vs2", cvx1vs2);
            return scores;
        }
    }

    @Schema(name = "Timings", description = "Milliseconds spent decoding and pre-processing, waiting for the model, and in the forward passes")
    public record Timings(double decodeMs, double waitMs, double inferenceMs) {
    }

    static PredictionView of(PredictionEntity p, ModelVersionRegistry.ModelVersionRow model, Priority priority,
                             Reliability reliability, CalibratedScores calibrated) {
        return new PredictionView(p.id(), p.imageId(),
                new ModelRef(model.modelId(), model.version(), model.trained(), model.foldChecksums()),
                ClassRef.of(p.predictedClass()), byClass(p.probabilities()),
                new SubTaskScoresView(p.scoreCvx03vs12(), p.scoreCvx0vs3(), p.scoreCvx1vs2()),
                p.confidence(), byClass(p.foldSpread()),
                new Timings(p.decodeMs(), p.waitMs(), p.inferenceMs()), p.createdAt(),
                priority == null ? null : priority.wireName(), noticeFor(model), reliability, p.outOfDistribution(), p.flags(), p.operatingPointVersion(),
                calibrated == null ? null : calibrated.calibrationId(),
                calibrated == null ? null : byClass(calibrated.probabilities()),
                calibrated == null ? null : calibrated.subTaskScores());
    }

    /** The same prediction carrying the given calibrated scores instead of its own (null: none). */
    public PredictionView withCalibration(CalibratedScores calibrated) {
        return new PredictionView(id, imageId, model, predictedClass, probabilities, subTaskScores, confidence,
                foldSpread, timings, createdAt, priority, notice, reliability, outOfDistribution, flags, operatingPointVersion,
                calibrated == null ? null : calibrated.calibrationId(),
                calibrated == null ? null : byClass(calibrated.probabilities()),
                calibrated == null ? null : calibrated.subTaskScores());
    }

    /** An untrained model always says so; a trained one says what its package asks to be said, if anything. */
    static String noticeFor(ModelVersionRegistry.ModelVersionRow model) {
        return model.trained() ? model.notice() : UNTRAINED_NOTICE;
    }

    static Map<String, Double> byClass(double[] values) {
        Map<String, Double> map = new LinkedHashMap<>();
        for (ChestClass c : ChestClass.values()) {
            map.put(c.code(), values[c.index()]);
        }
        return map;
    }
}
