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

/** Idempotency-Key headers of uploads, what their first request sent, and the images it answered with. */
@Component
public class IdempotencyKeys {

    /**
     * A request's key and its content: SHA-256 over the SHA-256 of its files, in order.
     *
     * @param key the caller-scoped Idempotency-Key
     * @param requestSha256 what the request sent
     */
    public record Claim(String key, String requestSha256) {
    }

    /**
     * What a key's first request sent and the images it answered with.
     *
     * @param requestSha256 null for keys remembered before requests were recorded: any request matches those
     */
    public record Remembered(List<UUID> imageIds, String requestSha256) {

        /** Whether a request that sent {@code requestSha256} is the remembered one sent again. */
        public boolean sentAgainBy(String requestSha256) {
            return this.requestSha256 == null || this.requestSha256.equals(requestSha256);
        }
    }

    private final JdbcClient jdbc;

    IdempotencyKeys(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** What the first request with this key sent and answered with, if one committed. */
    @Transactional(readOnly = true)
    public Optional<Remembered> find(String key) {
        return jdbc.sql("SELECT image_ids, request_sha256 FROM idempotency_key WHERE key = :key").param("key", key)
                .query((rs, n) -> new Remembered(List.of((UUID[]) rs.getArray("image_ids").getArray()),
                        rs.getString("request_sha256")))
                .optional();
    }

    /** Remembers a key whose request created nothing new; the first request's wins. */
    @Transactional
    public void remember(Claim claim, List<UUID> imageIds) {
        jdbc.sql("""
                        INSERT INTO idempotency_key (key, image_ids, created_at, request_sha256)
                        VALUES (:key, :ids, now(), :request)
                        ON CONFLICT (key) DO NOTHING""")
                .param("key", claim.key()).param("ids", imageIds.toArray(UUID[]::new))
                .param("request", claim.requestSha256()).update();
    }

    /**
     * Records the key in the transaction that commits the request's images and jobs. A concurrent
     * request with the same key that committed first makes this throw
     * {@link org.springframework.dao.DuplicateKeyException}, rolling the whole upload back.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    void record(Claim claim, List<UUID> imageIds, Instant now) {
        jdbc.sql("""
                        INSERT INTO idempotency_key (key, image_ids, created_at, request_sha256)
                        VALUES (:key, :ids, :now, :request)""")
                .param("key", claim.key()).param("ids", imageIds.toArray(UUID[]::new))
                .param("now", Timestamp.from(now)).param("request", claim.requestSha256()).update();
    }
}
