package org.chestlens.interop.hl7;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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

/** The HL7 outbox (one message per result and destination) and its attempt log in PostgreSQL. */
@Repository
class Hl7Store extends DestinationStore {

    private static final OutboxTable TABLE = new OutboxTable("hl7_message", "hl7_message_attempt", "message_id",
            "ack_code", "");

    Hl7Store(JdbcClient jdbc) {
        super(jdbc, TABLE);
    }

    /** Writes a due message in the caller's transaction (the one that stores the prediction). */
    @Transactional(propagation = Propagation.MANDATORY)
    void enqueue(String destination, String eventType, String controlId, UUID predictionId, UUID imageId,
                 String message) {
        jdbc.sql("""
                        INSERT INTO hl7_message (id, destination, event_type, control_id, prediction_id, image_id, message,
                                                 status, attempts, next_attempt_at, created_at)
                        VALUES (:id, :destination, :eventType, :controlId, :predictionId, :imageId, :message,
                                'PENDING', 0, now(), clock_timestamp())""")
                .param("id", UUID.randomUUID()).param("destination", destination).param("eventType", eventType)
                .param("controlId", controlId).param("predictionId", predictionId).param("imageId", imageId)
                .param("message", message).update();
    }

    /**
     * Records, in the caller's transaction, that a message could not be built: FAILED at once with the reason in
     * its attempt log, so the prediction it belongs to is stored all the same and operators see why nothing went.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    void enqueueUnbuilt(String destination, String eventType, String controlId, UUID predictionId, UUID imageId,
                        String owner, String reason) {
        UUID id = UUID.randomUUID();
        jdbc.sql("""
                        INSERT INTO hl7_message (id, destination, event_type, control_id, prediction_id, image_id, message,
                                                 status, attempts, next_attempt_at, created_at, finished_at)
                        VALUES (:id, :destination, :eventType, :controlId, :predictionId, :imageId, '',
                                'FAILED', 1, now(), clock_timestamp(), clock_timestamp())""")
                .param("id", id).param("destination", destination).param("eventType", eventType)
                .param("controlId", controlId).param("predictionId", predictionId).param("imageId", imageId).update();
        jdbc.sql("""
                        INSERT INTO hl7_message_attempt (message_id, attempt, attempted_at, attempted_by, error, duration_ms)
                        VALUES (:id, 1, now(), :by, :error, 0)""")
                .param("id", id).param("by", owner).param("error", reason).update();
    }

    /** A message held by one worker for one attempt. */
    record Claimed(UUID id, int attempt, int attemptsThisRound, String controlId, String message) {
    }

    /**
     * Claims the destination's oldest due message for one attempt: the attempt is counted now and the message is
     * due again when the lease ends, in case this worker dies mid-attempt. Other replicas skip the locked row.
     */
    @Transactional
    Optional<Claimed> claim(String destination, String owner, Duration lease) {
        return TABLE.claim(jdbc, destination, owner, lease,
                "m.id, m.attempts, m.resent_at_attempt, m.control_id, m.message",
                (rs, n) -> new Claimed(rs.getObject("id", UUID.class), rs.getInt("attempts"),
                        rs.getInt("attempts") - rs.getInt("resent_at_attempt"), rs.getString("control_id"),
                        rs.getString("message")));
    }

    /**
     * Logs the attempt and settles the message: DELIVERED, FAILED (rejected, or out of attempts) or PENDING again
     * after {@code retryIn}. Only while this worker still holds it.
     */
    @Transactional
    String record(Claimed claimed, String owner, OutboxTable.Outcome outcome, int maxAttempts, Duration retryIn) {
        return TABLE.record(jdbc, new OutboxTable.Attempt(claimed.id(), claimed.attempt(), claimed.attemptsThisRound()),
                owner, outcome, maxAttempts, retryIn);
    }

    @Transactional(readOnly = true)
    Optional<Hl7MessageView> message(UUID id) {
        List<Hl7MessageView> found = views(WhereClause.where("m.id = :id"), Map.of("id", id), 1);
        return found.stream().findFirst();
    }

    /** Newest first after the cursor; {@code limit + 1} rows tell whether another page follows. */
    @Transactional(readOnly = true)
    List<Hl7MessageView> messages(String destination, int limit, KeysetCursor after) {
        WhereClause where = WhereClause.where("m.destination = :destination").after("(m.created_at, m.id) <", after);
        return views(where, Map.of("destination", destination), limit + 1);
    }

    private List<Hl7MessageView> views(WhereClause where, Map<String, Object> params, int limit) {
        record Row(UUID id, String destination, String eventType, String controlId, UUID predictionId, UUID imageId,
                   String status, int attempts, Instant nextAttemptAt, Instant createdAt, Instant finishedAt) {
        }
        List<Row> rows = jdbc.sql("""
                        SELECT m.id, m.destination, m.event_type, m.control_id, m.prediction_id, m.image_id, m.status,
                               m.attempts, m.next_attempt_at, m.created_at, m.finished_at
                        FROM hl7_message m %s ORDER BY m.created_at DESC, m.id DESC LIMIT :limit""".formatted(where))
                .params(where.params()).params(params).param("limit", limit)
                .query((rs, n) -> new Row(rs.getObject("id", UUID.class), rs.getString("destination"),
                        rs.getString("event_type"), rs.getString("control_id"), rs.getObject("prediction_id", UUID.class),
                        rs.getObject("image_id", UUID.class), rs.getString("status"), rs.getInt("attempts"),
                        "PENDING".equals(rs.getString("status")) ? OutboxTable.instant(rs, "next_attempt_at") : null,
                        OutboxTable.instant(rs, "created_at"), OutboxTable.instant(rs, "finished_at")))
                .list();
        Map<UUID, List<Hl7MessageView.Attempt>> attempts = TABLE.attempts(jdbc, rows.stream().map(Row::id).toList(),
                Hl7MessageView.Attempt::new);
        return rows.stream().map(r -> new Hl7MessageView(r.id(), r.destination(), r.eventType(), r.controlId(),
                r.predictionId(), r.imageId(), r.status(), r.attempts(), r.nextAttemptAt(), r.createdAt(),
                r.finishedAt(), attempts.getOrDefault(r.id(), List.of()))).toList();
    }
}
