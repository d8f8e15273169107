package org.chestlens.prediction;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.chestlens.platform.WhereClause;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/** Predictions read together with their images' attributes, for modules that analyse them. */
@Component
public class ScoredImages {

    private static final String SELECT = """
            SELECT p.id, p.image_id, p.model_version_id, p.predicted_class, p.p_cvx0, p.p_cvx1, p.p_cvx2, p.p_cvx3,
                   p.score_cvx03vs12, p.score_cvx0vs3, p.score_cvx1vs2, p.confidence, p.fold_spread,
                   i.format, i.width, i.height, i.modality, i.body_part_examined, i.view_position, i.patient_sex,
                   i.patient_age, i.manufacturer, i.manufacturer_model_name, i.institution_name, i.station_name,
                   i.photometric_interpretation, i.bits_stored, i.kvp, i.distance_source_to_detector
            FROM prediction p
            JOIN image i ON i.id = p.image_id
            """;

    private final JdbcClient jdbc;

    ScoredImages(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** The predictions the filter selects, ordered by image id. */
    @Transactional(readOnly = true)
    public List<ScoredImage> find(ScoredImageFilter filter) {
        if (filter.imageIds().isEmpty()) {
            return List.of();
        }
        WhereClause where = WhereClause.where("m.model_id = :modelId AND m.version = :version")
                .and("p.image_id = ANY(:imageIds)")
                .and("i.received_at >= :receivedFrom", "receivedFrom", filter.receivedFrom())
                .and("i.received_at < :receivedTo", "receivedTo", filter.receivedTo())
                .and("i.modality = :modality", "modality", filter.modality())
                .and("i.view_position = :viewPosition", "viewPosition", filter.viewPosition())
                .and("i.manufacturer = :manufacturer", "manufacturer", filter.manufacturer())
                .and("i.manufacturer_model_name = :modelName", "modelName", filter.manufacturerModelName())
                .and("i.institution_name = :institution", "institution", filter.institutionName())
                .and("i.patient_sex = :sex", "sex", filter.patientSex());
        return jdbc.sql(SELECT + "JOIN model_version m ON m.id = p.model_version_id %s ORDER BY p.image_id".formatted(where))
                .params(where.params())
                .param("modelId", filter.modelId()).param("version", filter.modelVersion())
                .param("imageIds", filter.imageIds().toArray(UUID[]::new))
                .query(ScoredImages::scoredImage)
                .list();
    }

    /** One prediction, labelled or not. */
    @Transactional(readOnly = true)
    public Optional<ScoredImage> ofPrediction(UUID predictionId) {
        return jdbc.sql(SELECT + "WHERE p.id = :id").param("id", predictionId)
                .query(ScoredImages::scoredImage).optional();
    }

    private static ScoredImage scoredImage(ResultSet rs, int row) throws SQLException {
        return new ScoredImage(rs.getObject("id", UUID.class), rs.getObject("image_id", UUID.class),
                rs.getLong("model_version_id"), ChestClass.ofIndex(rs.getShort("predicted_class")),
                new double[] {rs.getDouble("p_cvx0"), rs.getDouble("p_cvx1"), rs.getDouble("p_cvx2"),
                        rs.getDouble("p_cvx3")},
                rs.getDouble("score_cvx03vs12"), rs.getObject("score_cvx0vs3", Double.class),
                rs.getObject("score_cvx1vs2", Double.class), rs.getDouble("confidence"),
                unboxed((Double[]) rs.getArray("fold_spread").getArray()),
                new ScoredImage.Attributes(rs.getString("format"), rs.getInt("width"), rs.getInt("height"),
                        rs.getString("modality"), rs.getString("body_part_examined"), rs.getString("view_position"),
                        rs.getString("patient_sex"), rs.getString("patient_age"), rs.getString("manufacturer"),
                        rs.getString("manufacturer_model_name"), rs.getString("institution_name"),
                        rs.getString("station_name"), rs.getString("photometric_interpretation"),
                        rs.getObject("bits_stored", Integer.class), rs.getObject("kvp", Double.class),
                        rs.getObject("distance_source_to_detector", Double.class)));
    }

    private static double[] unboxed(Double[] values) {
        double[] unboxed = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            unboxed[i] = values[i];
        }
        return unboxed;
    }
}
