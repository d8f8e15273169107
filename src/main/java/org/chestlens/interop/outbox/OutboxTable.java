package org.chestlens.interop.outbox;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The SQL of an outbox whose rows each go to one configured destination, one at a time (HL7 v2 over MLLP, DICOM
 * to a PACS): claiming the oldest due row under a lease, logging an attempt and settling the row, a manual
 * re-send, the counts per destination and the attempt log. The table has the columns id, destination, status
 * (PENDING, DELIVERED, FAILED; others are never claimed), attempts, resent_at_attempt, next_attempt_at,
 * lease_owner, created_at and finished_at; its attempt table ({@code key}, attempt, attempted_at, attempted_by,
 * the answer column, error, duration_ms). Callers run these in their own transactions.
 */
public final class OutboxTable {

    /** How one attempt ended. */
    public enum Verdict { DELIVERED, RETRY, REJECTED }

    /** One logged attempt, as the admin API shows it. */
    @FunctionalInterface
    public interface AttemptRow<T> {
        T of(int attempt, Instant attemptedAt, String attemptedBy, String answer, String error, double durationMs);
    }

    private final String table;
    private final String attemptTable;
    private final String key;
    private final String answer;
    private final String onFinish;

    /**
     * @param key      the attempt table's column naming the row
     * @param answer   the attempt table's column for the receiver's answer (an ack code, a status)
     * @param onFinish extra assignments of the settling UPDATE, evaluated with {@code :status} the new status
     *                 (e.g. clearing a column once the row is finished); empty for none
     */
    public OutboxTable(String table, String attemptTable, String key, String answer, String onFinish) {
        this.table = table;
        this.attemptTable = attemptTable;
        this.key = key;
        this.answer = answer;
        this.onFinish = onFinish.isEmpty() ? "" : ", " + onFinish;
    }

    /**
     * Claims the destination's oldest due row for one attempt: the attempt is counted now and the row is due again
     * when the lease ends, in case this worker dies mid-attempt. Other replicas skip the locked row.
     *
     * @param returning columns of the claimed row for {@code mapper} (as {@code m.column})
     */
    public <T> Optional<T> claim(JdbcClient jdbc, String destination, String owner, Duration lease, String returning,
                                 RowMapper<T> mapper) {
        return jdbc.sql("""
                        UPDATE %1$s m SET lease_owner = :owner, attempts = m.attempts + 1,
                            next_attempt_at = now() + make_interval(secs => :leaseSeconds)
                        WHERE m.id = (SELECT c.id FROM %1$s c
                                      WHERE c.destination = :destination AND c.status = 'PENDING'
                                        AND c.next_attempt_at <= now()
                                      ORDER BY c.created_at, c.id LIMIT 1 FOR UPDATE SKIP LOCKED)
                        RETURNING %2$s""".formatted(table, returning))
                .param("owner", owner).param("leaseSeconds", lease.toMillis() / 1000.0)
                .param("destination", destination)
                .query(mapper).optional();
    }

    /** The attempt a claimed row is on, and how many it has made since the last manual re-send. */
    public record Attempt(UUID id, int number, int sinceResend) {
    }

    /** What one attempt got: the verdict, the receiver's answer (null when none) and the reason it failed. */
    public record Outcome(Verdict verdict, String answer, String error, double durationMs, Instant attemptedAt) {
    }

    /**
     * Logs the attempt and settles the row: DELIVERED, FAILED (rejected, or out of attempts) or PENDING again after
     * {@code retryIn}. Only while this worker still holds it. Returns the status it set.
     */
    public String record(JdbcClient jdbc, Attempt attempt, String owner, Outcome outcome, int maxAttempts,
                         Duration retryIn) {
        jdbc.sql("""
                        INSERT INTO %s (%s, attempt, attempted_at, attempted_by, %s, error, duration_ms)
                        VALUES (:id, :attempt, :at, :by, :answer, :error, :ms) ON CONFLICT DO NOTHING"""
                        .formatted(attemptTable, key, answer))
                .param("id", attempt.id()).param("attempt", attempt.number())
                .param("at", Timestamp.from(outcome.attemptedAt())).param("by", owner).param("answer", outcome.answer())
                .param("error", outcome.error()).param("ms", outcome.durationMs()).update();
        String status = switch (outcome.verdict()) {
            case DELIVERED -> "DELIVERED";
            case REJECTED -> "FAILED";
            case RETRY -> attempt.sinceResend() >= maxAttempts ? "FAILED" : "PENDING";
        };
        jdbc.sql("""
                        UPDATE %s SET status = :status, lease_owner = NULL,
                            next_attempt_at = CASE WHEN :status = 'PENDING'
                                THEN now() + make_interval(secs => :retrySeconds) ELSE next_attempt_at END,
                            finished_at = CASE WHEN :status = 'PENDING' THEN NULL ELSE now() END%s
                        WHERE id = :id AND lease_owner = :owner AND status = 'PENDING'""".formatted(table, onFinish))
                .param("status", status).param("retrySeconds", retryIn.toMillis() / 1000.0)
                .param("id", attempt.id()).param("owner", owner).update();
        return status;
    }

    /** Makes a row due now with a fresh allowance of attempts; its destination, empty when there is no such row. */
    public Optional<String> resend(JdbcClient jdbc, UUID id) {
        return jdbc.sql("""
                        UPDATE %s SET status = 'PENDING', next_attempt_at = now(), resent_at_attempt = attempts,
                            lease_owner = NULL, finished_at = NULL
                        WHERE id = :id AND status IN ('PENDING', 'DELIVERED', 'FAILED') RETURNING destination"""
                        .formatted(table))
                .param("id", id).query(String.class).optional();
    }

    /** Per destination: how many rows are in each status. */
    public Map<String, Map<String, Long>> counts(JdbcClient jdbc) {
        Map<String, Map<String, Long>> counts = new LinkedHashMap<>();
        jdbc.sql("SELECT destination, status, count(*) AS n FROM %s GROUP BY destination, status".formatted(table))
                .query((rs, n) -> counts.computeIfAbsent(rs.getString("destination"), k -> new LinkedHashMap<>())
                        .put(rs.getString("status"), rs.getLong("n")))
                .list();
        return counts;
    }

    /** A nullable timestamp column as an instant. */
    public static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    /** The attempt logs of these rows, oldest attempt first. */
    public <T> Map<UUID, List<T>> attempts(JdbcClient jdbc, List<UUID> ids, AttemptRow<T> row) {
        Map<UUID, List<T>> attempts = new LinkedHashMap<>();
        jdbc.sql("""
                        SELECT %2$s AS row_id, attempt, attempted_at, attempted_by, %3$s AS answer, error, duration_ms
                        FROM %1$s WHERE %2$s = ANY(:ids) ORDER BY %2$s, attempt""".formatted(attemptTable, key, answer))
                .param("ids", ids.toArray(UUID[]::new))
                .query((rs, n) -> attempts.computeIfAbsent(rs.getObject("row_id", UUID.class), k -> new ArrayList<>())
                        .add(row.of(rs.getInt("attempt"), rs.getTimestamp("attempted_at").toInstant(),
                                rs.getString("attempted_by"), rs.getString("answer"), rs.getString("error"),
                                rs.getDouble("duration_ms"))))
                .list();
        return attempts;
    }
}
