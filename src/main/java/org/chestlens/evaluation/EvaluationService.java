package org.chestlens.evaluation;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import org.chestlens.platform.ApiProblem;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Evaluates a model version and the readers against the reference labels over a cohort. */
@Service
class EvaluationService {

    static final String MODEL = "model";

    private final JdbcClient jdbc;
    private final CohortQuery cohorts;
    private final CalibrationService calibrations;

    EvaluationService(JdbcClient jdbc, CohortQuery cohorts, CalibrationService calibrations) {
        this.jdbc = jdbc;
        this.cohorts = cohorts;
        this.calibrations = calibrations;
    }

    @Transactional(readOnly = true)
    public EvaluationReport evaluate(Cohort requested, int resamples, long seed) {
        Cohort cohort = cohorts.resolve(requested);
        List<CohortQuery.Labelled> labelled = cohorts.labelled(cohort);
        if (labelled.isEmpty()) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_CONTENT, "empty-cohort", "Nothing to evaluate",
                    "No prediction of " + cohort.modelId() + " " + cohort.modelVersion()
                            + " in this cohort has a reference label.");
        }
        Metrics.Report model = Metrics.evaluate(labelled.stream().map(CohortQuery.Labelled::modelCase).toList(), resamples, seed);

        Map<UUID, Metrics.Case> byImage = new HashMap<>();
        labelled.forEach(l -> byImage.put(l.imageId(), l.modelCase()));
        Map<String, Map<UUID, Integer>> readerLabels = readerLabels(byImage.keySet());

        List<EvaluationReport.ReaderReport> readers = new ArrayList<>();
        readerLabels.forEach((reader, labels) -> {
            List<Metrics.Case> cases = labels.entrySet().stream()
                    .map(e -> Metrics.Case.oneHot(byImage.get(e.getKey()).truth(), e.getValue())).toList();
            readers.add(new EvaluationReport.ReaderReport(reader, cases.size(), Metrics.evaluate(cases, resamples, seed)));
        });

        Map<String, Map<UUID, Integer>> raters = new LinkedHashMap<>();
        Map<UUID, Integer> modelClasses = new HashMap<>();
        byImage.forEach((id, c) -> modelClasses.put(id, c.predicted()));
        raters.put(MODEL, modelClasses);
        raters.putAll(readerLabels);
        List<String> names = new ArrayList<>(raters.keySet());
        List<EvaluationReport.Agreement> agreement = new ArrayList<>();
        for (int a = 0; a < names.size(); a++) {
            for (int b = a + 1; b < names.size(); b++) {
                Map<UUID, Integer> first = raters.get(names.get(a));
                Map<UUID, Integer> second = raters.get(names.get(b));
                List<UUID> both = first.keySet().stream().filter(second::containsKey).toList();
                Double kappa = both.isEmpty() ? null : Metrics.cohenKappa(
                        both.stream().mapToInt(first::get).toArray(), both.stream().mapToInt(second::get).toArray());
                agreement.add(new EvaluationReport.Agreement(names.get(a), names.get(b), both.size(), kappa));
            }
        }

        List<EvaluationReport.Comparison> comparison = new ArrayList<>();
        for (int t = 0; t < Metrics.SubTask.values().length; t++) {
            Map<String, Double> readerAccuracy = new TreeMap<>();
            for (EvaluationReport.ReaderReport r : readers) {
                readerAccuracy.put(r.reader(), finiteOrNull(r.metrics().subTasks().get(t).accuracy()));
            }
            comparison.add(new EvaluationReport.Comparison(Metrics.SubTask.values()[t].name(),
                    finiteOrNull(model.subTasks().get(t).accuracy()), readerAccuracy));
        }
        Map<String, Double> multiclass = new TreeMap<>();
        readers.forEach(r -> multiclass.put(r.reader(), r.metrics().multiclassAccuracy()));
        comparison.add(new EvaluationReport.Comparison("multiclass", model.multiclassAccuracy(), multiclass));
        return new EvaluationReport(cohort, labelled.size(), model, readers, agreement, comparison,
                reliabilityDiagrams(labelled, resamples, seed));
    }

    /** Raw and calibrated reliability of the cohort when a calibration is active for its model version. */
    private EvaluationReport.ReliabilityDiagrams reliabilityDiagrams(List<CohortQuery.Labelled> labelled,
                                                                     int resamples, long seed) {
        return calibrations.active(labelled.get(0).modelVersionId()).map(active -> {
            double[][] raw = labelled.stream().map(l -> l.modelCase().probabilities()).toArray(double[][]::new);
            int[] truth = labelled.stream().mapToInt(l -> l.modelCase().truth()).toArray();
            double[][] calibrated = java.util.Arrays.stream(raw).map(active.parameters()::apply)
                    .toArray(double[][]::new);
            return new EvaluationReport.ReliabilityDiagrams(active.id(),
                    CalibrationQuality.of(raw, truth, resamples, seed),
                    CalibrationQuality.of(calibrated, truth, resamples, seed));
        }).orElse(null);
    }

    private static Double finiteOrNull(Double value) {
        return value != null && Double.isFinite(value) ? value : null;
    }

    private Map<String, Map<UUID, Integer>> readerLabels(java.util.Set<UUID> images) {
        Map<String, Map<UUID, Integer>> byReader = new TreeMap<>();
        jdbc.sql("SELECT image_id, reader_id, label FROM image_label WHERE reader_id <> '' AND image_id = ANY(:ids)")
                .param("ids", images.toArray(UUID[]::new))
                .query((rs, n) -> byReader.computeIfAbsent(rs.getString("reader_id"), r -> new HashMap<>())
                        .put(rs.getObject("image_id", UUID.class), (int) rs.getShort("label")))
                .list();
        return byReader;
    }
}
