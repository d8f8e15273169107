package org.chestlens.prediction;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/** Reads a prediction's class activation maps with what is needed to draw and name them. */
@Component
class Explanations {

    /**
     * @param maps null when the model that made the prediction had none (package format 1) or they were off
     */
    record Explained(UUID predictionId, UUID imageId, ChestClass predictedClass, String modelId,
                     String modelVersion, ActivationMaps maps) {
    }

    private final JdbcClient jdbc;

    Explanations(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    @Transactional(readOnly = true)
    Optional<Explained> find(UUID predictionId) {
        return jdbc.sql("""
                        SELECT p.id, p.image_id, p.predicted_class, m.model_id, m.version,
                               a.outputs, a.height, a.width, a.grid
                        FROM prediction p
                        JOIN model_version m ON m.id = p.model_version_id
                        LEFT JOIN prediction_activation_map a ON a.prediction_id = p.id
                        WHERE p.id = :id""")
                .param("id", predictionId)
                .query(Explanations::explained)
                .optional();
    }

    private static Explained explained(ResultSet rs, int row) throws SQLException {
        byte[] grid = rs.getBytes("grid");
        ActivationMaps maps = null;
        if (grid != null) {
            Array outputs = rs.getArray("outputs");
            maps = new ActivationMaps(List.of((String[]) outputs.getArray()), rs.getInt("height"),
                    rs.getInt("width"), JobStore.fromBytes(grid));
        }
        return new Explained(rs.getObject("id", UUID.class), rs.getObject("image_id", UUID.class),
                ChestClass.ofIndex(rs.getShort("predicted_class")), rs.getString("model_id"),
                rs.getString("version"), maps);
    }

    /** The output a heat map explains when the client names none: the predicted class, else the first output. */
    static String defaultOutput(Explained e) {
        return e.maps().outputs().contains(e.predictedClass().code()) ? e.predictedClass().code()
                : e.maps().outputs().get(0);
    }

    static float[][] rows(float[] map, int height, int width) {
        float[][] rows = new float[height][];
        for (int y = 0; y < height; y++) {
            rows[y] = Arrays.copyOfRange(map, y * width, (y + 1) * width);
        }
        return rows;
    }
}
