package org.chestlens.prediction;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/** Idempotency-Key headers of uploads and the images their first request answered with. */
@Component
public class IdempotencyKeys {

    private final JdbcClient jdbc;

    IdempotencyKeys(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** The images the first request with this key answered with, if one committed. */
    @Transactional(readOnly = true)
    public Optional<List<UUID>> imagesOf(String key) {
        return jdbc.sql("SELECT image_ids FROM idempotency_key WHERE key = :key").param("key", key)
                .query((rs, n) -> List.of((UUID[]) rs.getArray("image_ids").getArray())).optional();
    }

    /** Remembers a key whose request created nothing new; the first request's wins. */
    @Transactional
    public void remember(String key, List<UUID> imageIds) {
        jdbc.sql("""
                        INSERT INTO idempotency_key (key, image_ids, created_at) VALUES (:key, :ids, now())
                        ON CONFLICT (key) DO NOTHING""")
                .param("key", key).param("ids", imageIds.toArray(UUID[]::new)).update();
    }

    /**
     * Records the key in the transaction that commits the request's images and jobs. A concurrent
     * request with the same key that committed first makes this throw
     * {@link org.springframework.dao.DuplicateKeyException}, rolling the whole upload back.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    void record(String key, List<UUID> imageIds, Instant now) {
        jdbc.sql("INSERT INTO idempotency_key (key, image_ids, created_at) VALUES (:key, :ids, :now)")
                .param("key", key).param("ids", imageIds.toArray(UUID[]::new)).param("now", Timestamp.from(now))
                .update();
    }
}
