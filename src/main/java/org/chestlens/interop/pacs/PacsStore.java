package org.chestlens.interop.pacs;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.chestlens.interop.outbox.DestinationStore;
import org.chestlens.interop.outbox.OutboxTable;
import org.chestlens.platform.KeysetCursor;
import org.chestlens.platform.WhereClause;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/** The PACS outbox (one row per image, destination and object) and its attempt log in PostgreSQL. */
@Repository
class PacsStore extends DestinationStore {

    /** A finished row drops its sealed patient module in the same UPDATE that finishes it. */
    private static final OutboxTable TABLE = new OutboxTable("pacs_delivery", "pacs_delivery_attempt", "delivery_id",
            "status", "patient_module = CASE WHEN :status = 'PENDING' THEN patient_module ELSE NULL END");

    PacsStore(JdbcClient jdbc) {
        super(jdbc, TABLE);
    }

    /** Writes a row that waits for its prediction, in the upload's transaction. */
    @Transactional(propagation = Propagation.MANDATORY)
    void enqueueWaiting(UUID id, String destination, String objectType, UUID imageId, String modelId,
                        String modelVersion, byte[] sealedPatient) {
        jdbc.sql("""
                        INSERT INTO pacs_delivery (id, destination, object_type, image_id, model_id, model_version,
                                                   patient_module, status, next_attempt_at, created_at)
                        VALUES (:id, :destination, :type, :imageId, :modelId, :version, :patient, 'WAITING', now(),
                                clock_timestamp())""")
                .param("id", id).param("destination", destination).param("type", objectType)
                .param("imageId", imageId).param("modelId", modelId).param("version", modelVersion)
                .param("patient", sealedPatient).update();
    }

    /**
     * In the prediction's transaction: the image's waiting rows for this model version become due now. Returns
     * the destinations and object types made due.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    List<String> activate(UUID imageId, String modelId, String modelVersion, UUID predictionId) {
        return jdbc.sql("""
                        UPDATE pacs_delivery SET status = 'PENDING', prediction_id = :predictionId, next_attempt_at = now()
                        WHERE image_id = :imageId AND model_id = :modelId AND model_version = :version
                          AND status = 'WAITING'
                        RETURNING destination || '/' || object_type""")
                .param("predictionId", predictionId).param("imageId", imageId).param("modelId", modelId)
                .param("version", modelVersion).query(String.class).list();
    }

    /** A due row without a patient module, for a prediction that found none waiting (see PacsOutbox). */
    @Transactional(propagation = Propagation.MANDATORY)
    void enqueuePending(String destination, String objectType, UUID imageId, String modelId, String modelVersion,
                        UUID predictionId) {
        jdbc.sql("""
                        INSERT INTO pacs_delivery (id, destination, object_type, image_id, model_id, model_version,
                                                   prediction_id, status, next_attempt_at, created_at)
                        VALUES (:id, :destination, :type, :imageId, :modelId, :version, :predictionId, 'PENDING',
                                now(), clock_timestamp())""")
                .param("id", UUID.randomUUID()).param("destination", destination).param("type", objectType)
                .param("imageId", imageId).param("modelId", modelId).param("version", modelVersion)
                .param("predictionId", predictionId).update();
    }

    /** The job failed for good: nothing will be sent, and the sealed modules go with the rows. */
    @Transactional(propagation = Propagation.MANDATORY)
    int dropWaiting(UUID imageId, String modelId, String modelVersion) {
        return jdbc.sql("""
                        DELETE FROM pacs_delivery WHERE image_id = :imageId AND model_id = :modelId
                          AND model_version = :version AND status = 'WAITING'""")
                .param("imageId", imageId).param("modelId", modelId).param("version", modelVersion).update();
    }

    /** An object held by one worker for one attempt. */
    record Claimed(UUID id, int attempt, int attemptsSinceResend, String objectType, UUID predictionId,
                   byte[] sealedPatient) {

        OutboxTable.Attempt asAttempt() {
            return new OutboxTable.Attempt(id, attempt, attemptsSinceResend);
        }
    }

    @Transactional
    Optional<Claimed> claim(String destination, String owner, Duration lease) {
        return TABLE.claim(jdbc, destination, owner, lease,
                "m.id, m.attempts, m.resent_at_attempt, m.object_type, m.prediction_id, m.patient_module",
                (rs, n) -> new Claimed(rs.getObject("id", UUID.class), rs.getInt("attempts"),
                        rs.getInt("attempts") - rs.getInt("resent_at_attempt"), rs.getString("object_type"),
                        rs.getObject("prediction_id", UUID.class), rs.getBytes("patient_module")));
    }

    /**
     * Logs the attempt (and the object's SOP Instance UID, when it was built) and settles the row; a row that
     * leaves PENDING loses its sealed patient module in the same statement.
     */
    @Transactional
    String record(Claimed claimed, String owner, String sopInstanceUid, OutboxTable.Outcome outcome, int maxAttempts,
                  Duration retryIn) {
        if (sopInstanceUid != null) {
            jdbc.sql("UPDATE pacs_delivery SET sop_instance_uid = :uid WHERE id = :id AND lease_owner = :owner")
                    .param("uid", sopInstanceUid).param("id", claimed.id()).param("owner", owner).update();
        }
        return TABLE.record(jdbc, claimed.asAttempt(), owner, outcome, maxAttempts, retryIn);
    }

    @Transactional(readOnly = true)
    Optional<PacsDeliveryView> delivery(UUID id) {
        return views(WhereClause.where("d.id = :id"), Map.of("id", id), 1).stream().findFirst();
    }

    /** Newest first after the cursor; {@code limit + 1} rows tell whether another page follows. */
    @Transactional(readOnly = true)
    List<PacsDeliveryView> deliveries(String destination, int limit, KeysetCursor after) {
        WhereClause where = WhereClause.where("d.destination = :destination").after("(d.created_at, d.id) <", after);
        return views(where, Map.of("destination", destination), limit + 1);
    }

    private List<PacsDeliveryView> views(WhereClause where, Map<String, Object> params, int limit) {
        List<PacsDeliveryView> rows = jdbc.sql("""
                        SELECT d.id, d.destination, d.object_type, d.image_id, d.prediction_id, d.sop_instance_uid,
                               d.status, d.attempts, d.next_attempt_at, d.created_at, d.finished_at,
                               d.patient_module IS NOT NULL AS sealed
                        FROM pacs_delivery d %s ORDER BY d.created_at DESC, d.id DESC LIMIT :limit""".formatted(where))
                .params(where.params()).params(params).param("limit", limit)
                .query((rs, n) -> new PacsDeliveryView(rs.getObject("id", UUID.class), rs.getString("destination"),
                        rs.getString("object_type"), rs.getObject("image_id", UUID.class),
                        rs.getObject("prediction_id", UUID.class), rs.getString("sop_instance_uid"),
                        rs.getString("status"), rs.getInt("attempts"),
                        "PENDING".equals(rs.getString("status")) ? OutboxTable.instant(rs, "next_attempt_at") : null,
                        OutboxTable.instant(rs, "created_at"), OutboxTable.instant(rs, "finished_at"), rs.getBoolean("sealed"), List.of()))
                .list();
        Map<UUID, List<PacsDeliveryView.Attempt>> attempts = TABLE.attempts(jdbc,
                rows.stream().map(PacsDeliveryView::id).toList(), PacsDeliveryView.Attempt::new);
        return rows.stream().map(r -> r.withAttempts(attempts.getOrDefault(r.id(), List.of()))).toList();
    }
}
