package org.chestlens.prediction;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import org.chestlens.platform.CpuStages;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The model's view of each image: the pre-processed input it scored, as an 8-bit grey PNG, kept for
 * {@code chestlens.retention.model-view} after the image's latest upload and then purged.
 */
@Component
class ModelViews {

    /** A stored model view. */
    record ModelView(UUID imageId, byte[] png, int width, int height, Instant createdAt, Instant expiresAt) {
    }

    private final JdbcClient jdbc;
    private final RetentionProperties retention;

    ModelViews(JdbcClient jdbc, RetentionProperties retention) {
        this.jdbc = jdbc;
        this.retention = retention;
    }

    /** Keeps (or keeps longer) the view of an image being accepted, inside the upload's transaction. */
    @Transactional(propagation = Propagation.MANDATORY)
    void keep(UUID imageId, float[] input, int width, int height, Instant now) {
        if (!retention.keepsModelView()) {
            return;
        }
        CpuStages.lap(CpuStages.Stage.DATABASE);
        byte[] png = Png.greyFromUnit(input, width, height);
        CpuStages.lap(CpuStages.Stage.MODEL_VIEW);
        jdbc.sql("""
                        INSERT INTO image_model_view (image_id, png, width, height, created_at, expires_at)
                        VALUES (:imageId, :png, :width, :height, :now, :expires)
                        ON CONFLICT (image_id) DO UPDATE
                            SET expires_at = GREATEST(image_model_view.expires_at, EXCLUDED.expires_at)""")
                .param("imageId", imageId).param("png", png)
                .param("width", width).param("height", height).param("now", Timestamp.from(now))
                .param("expires", Timestamp.from(now.plus(retention.modelView())))
                .update();
    }

    /** The view, unless it has expired (whether or not the purge has run yet). */
    @Transactional(readOnly = true)
    Optional<ModelView> find(UUID imageId) {
        return jdbc.sql("""
                        SELECT image_id, png, width, height, created_at, expires_at FROM image_model_view
                        WHERE image_id = :imageId AND expires_at > now()""")
                .param("imageId", imageId)
                .query((rs, n) -> new ModelView(rs.getObject("image_id", UUID.class), rs.getBytes("png"),
                        rs.getInt("width"), rs.getInt("height"), rs.getTimestamp("created_at").toInstant(),
                        rs.getTimestamp("expires_at").toInstant()))
                .optional();
    }

    /**
     * Deletes every expired view. One statement, idempotent: replicas running it at the same time
     * delete each row once between them, and need no lock or leader.
     *
     * @return the views deleted by this call
     */
    @Transactional
    int purgeExpired() {
        return jdbc.sql("DELETE FROM image_model_view WHERE expires_at <= now()").update();
    }
}
