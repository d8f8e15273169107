package org.chestlens.evaluation;

import java.sql.Timestamp;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.chestlens.platform.ApiProblem;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** The predictions of a cohort that have a reference label, with every error-analysis feature. */
@Component
class CohortQuery {

    private final JdbcClient jdbc;

    CohortQuery(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** A labelled prediction: its case for the metrics and its feature values in {@link Features} order. */
    record Labelled(UUID predictionId, UUID imageId, long modelVersionId, Metrics.Case modelCase, Object[] features) {
    }

    /** The cohort with its model version filled in (the newest of the model when not given); 404 if unknown. */
    Cohort resolve(Cohort c) {
        if (c.modelId() == null || c.modelId().isBlank()) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "missing-model", "Model required", "Give modelId.");
        }
        Optional<String> version = jdbc.sql("""
                        SELECT version FROM model_version WHERE model_id = :modelId
                          AND (CAST(:version AS text) IS NULL OR version = :version)
                        ORDER BY id DESC LIMIT 1""")
                .param("modelId", c.modelId()).param("version", c.modelVersion()).query(String.class).optional();
        String v = version.orElseThrow(() -> ApiProblem.notFound("Model", c.modelId()
                + (c.modelVersion() == null ? "" : " " + c.modelVersion())));
        return new Cohort(c.modelId(), v, c.receivedFrom(), c.receivedTo(), c.modality(), c.viewPosition(),
                c.manufacturer(), c.manufacturerModelName(), c.institutionName(), c.patientSex());
    }

    /** For a resolved cohort. */
    List<Labelled> labelled(Cohort c) {
        return jdbc.sql("""
                        SELECT p.id AS prediction_id, p.image_id, p.model_version_id, l.label, p.predicted_class,
                               p.p_cvx0, p.p_cvx1, p.p_cvx2, p.p_cvx3, p.score_cvx03vs12, p.score_cvx0vs3,
                               p.score_cvx1vs2, %s
                        FROM prediction p
                        JOIN model_version m ON m.id = p.model_version_id
                        JOIN image i ON i.id = p.image_id
                        JOIN image_label l ON l.image_id = p.image_id AND l.reader_id = ''
                        WHERE m.model_id = :modelId AND m.version = :version
                          AND (CAST(:receivedFrom AS timestamptz) IS NULL OR i.received_at >= :receivedFrom)
                          AND (CAST(:receivedTo AS timestamptz) IS NULL OR i.received_at < :receivedTo)
                          AND (CAST(:modality AS text) IS NULL OR i.modality = :modality)
                          AND (CAST(:viewPosition AS text) IS NULL OR i.view_position = :viewPosition)
                          AND (CAST(:manufacturer AS text) IS NULL OR i.manufacturer = :manufacturer)
                          AND (CAST(:modelName AS text) IS NULL OR i.manufacturer_model_name = :modelName)
                          AND (CAST(:institution AS text) IS NULL OR i.institution_name = :institution)
                          AND (CAST(:sex AS text) IS NULL OR i.patient_sex = :sex)
                        ORDER BY p.image_id""".formatted(Features.SELECT))
                .param("modelId", c.modelId()).param("version", c.modelVersion())
                .param("receivedFrom", c.receivedFrom() == null ? null : Timestamp.from(c.receivedFrom()))
                .param("receivedTo", c.receivedTo() == null ? null : Timestamp.from(c.receivedTo()))
                .param("modality", c.modality()).param("viewPosition", c.viewPosition())
                .param("manufacturer", c.manufacturer()).param("modelName", c.manufacturerModelName())
                .param("institution", c.institutionName()).param("sex", c.patientSex())
                .query((rs, n) -> new Labelled(rs.getObject("prediction_id", UUID.class), rs.getObject("image_id", UUID.class),
                            rs.getLong("model_version_id"), new Metrics.Case(rs.getShort("label"),
                            new double[] {rs.getDouble("p_cvx0"), rs.getDouble("p_cvx1"), rs.getDouble("p_cvx2"),
                                    rs.getDouble("p_cvx3")},
                            rs.getShort("predicted_class"), rs.getDouble("score_cvx03vs12"),
                            (Double) rs.getObject("score_cvx0vs3"), (Double) rs.getObject("score_cvx1vs2")),
                        features(rs)))
                .list();
    }

    /** The feature values of one prediction (labelled or not), in {@link Features} order. */
    Optional<Object[]> featuresOf(UUID predictionId) {
        return jdbc.sql("SELECT %s FROM prediction p JOIN image i ON i.id = p.image_id WHERE p.id = :id"
                        .formatted(Features.SELECT))
                .param("id", predictionId)
                .query((rs, n) -> features(rs)).optional();
    }

    private static Object[] features(java.sql.ResultSet rs) throws java.sql.SQLException {
        Object[] features = new Object[Features.values().length];
        for (Features f : Features.values()) {
            features[f.ordinal()] = f.read(rs);
        }
        return features;
    }
}
