package org.chestlens.interop.webhook;

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

import org.chestlens.platform.KeysetCursor;
import org.chestlens.platform.TransactionMemo;
import org.chestlens.platform.WhereClause;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/** Subscriptions, the outbox (events and their deliveries) and the delivery log in PostgreSQL. */
@Repository
class WebhookStore {

    private final JdbcClient jdbc;

    WebhookStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    // --- subscriptions ---------------------------------------------------------------------------

    @Transactional
    WebhookSubscriptionView create(String url, SigningSecret secret, List<String> eventTypes, String description) {
        UUID id = UUID.randomUUID();
        jdbc.sql("""
                        INSERT INTO webhook_subscription (id, url, secret, event_types, description, active, created_at)
                        VALUES (:id, :url, :secret, :types, :description, true, now())""")
                .param("id", id).param("url", url).param("secret", secret.reveal())
                .param("types", eventTypes.toArray(String[]::new)).param("description", description)
                .update();
        return find(id).orElseThrow();
    }

    @Transactional(readOnly = true)
    /** Oldest first after the cursor; {@code limit + 1} rows tell whether another page follows. */
    List<WebhookSubscriptionView> list(int limit, KeysetCursor after) {
        WhereClause where = WhereClause.all().after("(created_at, id) >", after);
        return jdbc.sql("""
                        SELECT id, url, event_types, description, active, created_at FROM webhook_subscription
                        %s ORDER BY created_at, id LIMIT :limit""".formatted(where))
                .params(where.params()).param("limit", limit + 1)
                .query(WebhookStore::subscription).list();
    }

    @Transactional(readOnly = true)
    Optional<WebhookSubscriptionView> find(UUID id) {
        return jdbc.sql("""
                        SELECT id, url, event_types, description, active, created_at FROM webhook_subscription
                        WHERE id = :id""")
                .param("id", id).query(WebhookStore::subscription).optional();
    }

    @Transactional
    Optional<WebhookSubscriptionView> update(UUID id, Boolean active, String description) {
        int updated = jdbc.sql("""
                        UPDATE webhook_subscription SET active = coalesce(:active, active),
                            description = coalesce(:description, description)
                        WHERE id = :id""")
                .param("id", id).param("active", active).param("description", description).update();
        return updated == 0 ? Optional.empty() : find(id);
    }

    /** Removes the subscription with its deliveries and their log. */
    @Transactional
    boolean delete(UUID id) {
        return jdbc.sql("DELETE FROM webhook_subscription WHERE id = :id").param("id", id).update() > 0;
    }

    private static WebhookSubscriptionView subscription(ResultSet rs, int row) throws SQLException {
        return new WebhookSubscriptionView(rs.getObject("id", UUID.class), rs.getString("url"),
                List.of((String[]) rs.getArray("event_types").getArray()), rs.getString("description"),
                rs.getBoolean("active"), rs.getTimestamp("created_at").toInstant(), null);
    }

    // --- outbox ------------------------------------------------------------------------------------

    /** Whether any active subscription wants this event type (so the payload is built only then). */
    @Transactional(propagation = Propagation.MANDATORY)
    boolean hasSubscribers(WebhookEventType type) {
        // once per transaction: the result writer stores a batch of predictions in one
        return TransactionMemo.get(new SubscribersOf(type), () -> jdbc.sql("""
                        SELECT EXISTS (SELECT 1 FROM webhook_subscription WHERE active AND :type = ANY(event_types))""")
                .param("type", type.wireName()).query(Boolean.class).single());
    }

    private record SubscribersOf(WebhookEventType type) {
    }

    /**
     * Writes the event and one due delivery per active subscription that wants it, in the caller's
     * transaction (the one that stores the prediction). Returns the number of deliveries.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    int enqueue(UUID eventId, WebhookEventType type, String payload, Instant occurredAt) {
        jdbc.sql("INSERT INTO webhook_event (id, type, payload, occurred_at) VALUES (:id, :type, :payload, :at)")
                .param("id", eventId).param("type", type.wireName()).param("payload", payload)
                .param("at", Timestamp.from(occurredAt)).update();
        return jdbc.sql("""
                        INSERT INTO webhook_delivery (id, event_id, subscription_id, status, attempts, next_attempt_at,
                                                      created_at)
                        SELECT gen_random_uuid(), :eventId, s.id, 'PENDING', 0, now(), now()
                        FROM webhook_subscription s WHERE s.active AND :type = ANY(s.event_types)""")
                .param("eventId", eventId).param("type", type.wireName()).update();
    }

    // --- dispatch ----------------------------------------------------------------------------------

    /** A delivery held by one dispatcher for one attempt. */
    record Claimed(UUID deliveryId, UUID subscriptionId, UUID eventId, int attempt, String url, SigningSecret secret,
                   String payload) {
    }

    /**
     * Claims up to {@code limit} due deliveries of active subscriptions for one attempt each: the
     * attempt is counted now, and the delivery is due again when the lease ends, in case this
     * dispatcher dies mid-attempt. Other replicas skip the rows this one locks.
     */
    @Transactional
    List<Claimed> claim(String owner, Duration lease, int limit) {
        return jdbc.sql("""
                        UPDATE webhook_delivery d SET lease_owner = :owner, attempts = d.attempts + 1,
                            next_attempt_at = now() + make_interval(secs => :leaseSeconds)
                        FROM webhook_event e, webhook_subscription s
                        WHERE e.id = d.event_id AND s.id = d.subscription_id AND d.id IN (
                            SELECT c.id FROM webhook_delivery c JOIN webhook_subscription cs ON cs.id = c.subscription_id
                            WHERE c.status = 'PENDING' AND c.next_attempt_at <= now() AND cs.active
                            ORDER BY c.next_attempt_at LIMIT :limit
                            FOR UPDATE OF c SKIP LOCKED)
                        RETURNING d.id, d.subscription_id, d.event_id, d.attempts, s.url, s.secret, e.payload""")
                .param("owner", owner).param("leaseSeconds", lease.toMillis() / 1000.0).param("limit", limit)
                .query((rs, n) -> new Claimed(rs.getObject("id", UUID.class), rs.getObject("subscription_id", UUID.class),
                        rs.getObject("event_id", UUID.class), rs.getInt("attempts"), rs.getString("url"),
                        SigningSecret.stored(rs.getString("secret")), rs.getString("payload")))
                .list();
    }

    /** What one attempt got: a status code, or the reason there was none. */
    record Outcome(Integer statusCode, String error, double durationMs, Instant attemptedAt) {
        boolean delivered() {
            return statusCode != null && statusCode >= 200 && statusCode < 300;
        }
    }

    /**
     * Logs the attempt and moves the delivery on: delivered, failed for good after
     * {@code maxAttempts}, or due again after {@code retryIn}. Only the lease holder moves it.
     */
    @Transactional
    void record(Claimed claimed, String owner, Outcome outcome, int maxAttempts, Duration retryIn) {
        jdbc.sql("""
                        INSERT INTO webhook_delivery_attempt (delivery_id, attempt, attempted_at, attempted_by,
                                                              status_code, error, duration_ms)
                        SELECT id, :attempt, :at, :owner, :status, :error, :duration FROM webhook_delivery WHERE id = :id
                        ON CONFLICT DO NOTHING""")
                .param("id", claimed.deliveryId()).param("attempt", claimed.attempt())
                .param("at", Timestamp.from(outcome.attemptedAt())).param("owner", owner)
                .param("status", outcome.statusCode()).param("error", outcome.error())
                .param("duration", outcome.durationMs()).update();
        String status = outcome.delivered() ? "DELIVERED" : claimed.attempt() >= maxAttempts ? "FAILED" : "PENDING";
        jdbc.sql("""
                        UPDATE webhook_delivery SET status = :status, lease_owner = NULL,
                            next_attempt_at = CASE WHEN :status = 'PENDING'
                                THEN now() + make_interval(secs => :retrySeconds) ELSE next_attempt_at END,
                            finished_at = CASE WHEN :status = 'PENDING' THEN NULL ELSE now() END
                        WHERE id = :id AND lease_owner = :owner AND status = 'PENDING'""")
                .param("status", status).param("retrySeconds", retryIn.toMillis() / 1000.0)
                .param("id", claimed.deliveryId()).param("owner", owner).update();
    }

    // --- delivery log ------------------------------------------------------------------------------

    @Transactional(readOnly = true)
    /** Newest first after the cursor; {@code limit + 1} rows tell whether another page follows. */
    List<WebhookDeliveryView> deliveries(UUID subscriptionId, int limit, KeysetCursor after) {
        record Row(UUID id, UUID eventId, String type, String status, int attempts, Instant nextAttemptAt,
                   Instant createdAt, Instant finishedAt) {
        }
        WhereClause where = WhereClause.where("d.subscription_id = :id").after("(d.created_at, d.id) <", after);
        List<Row> rows = jdbc.sql("""
                        SELECT d.id, d.event_id, e.type, d.status, d.attempts, d.next_attempt_at, d.created_at,
                               d.finished_at
                        FROM webhook_delivery d JOIN webhook_event e ON e.id = d.event_id
                        %s ORDER BY d.created_at DESC, d.id DESC LIMIT :limit""".formatted(where))
                .params(where.params()).param("id", subscriptionId).param("limit", limit + 1)
                .query((rs, n) -> new Row(rs.getObject("id", UUID.class), rs.getObject("event_id", UUID.class),
                        rs.getString("type"), rs.getString("status"), rs.getInt("attempts"),
                        "PENDING".equals(rs.getString("status")) ? instant(rs, "next_attempt_at") : null,
                        instant(rs, "created_at"), instant(rs, "finished_at")))
                .list();
        Map<UUID, List<WebhookDeliveryView.Attempt>> attempts = new LinkedHashMap<>();
        jdbc.sql("""
                        SELECT delivery_id, attempt, attempted_at, attempted_by, status_code, error, duration_ms
                        FROM webhook_delivery_attempt WHERE delivery_id = ANY(:ids) ORDER BY delivery_id, attempt""")
                .param("ids", rows.stream().map(Row::id).toArray(UUID[]::new))
                .query((rs, n) -> attempts.computeIfAbsent(rs.getObject("delivery_id", UUID.class),
                        k -> new ArrayList<>()).add(new WebhookDeliveryView.Attempt(rs.getInt("attempt"),
                        instant(rs, "attempted_at"), rs.getString("attempted_by"),
                        (Integer) rs.getObject("status_code"), rs.getString("error"), rs.getDouble("duration_ms"))))
                .list();
        return rows.stream().map(r -> new WebhookDeliveryView(r.id(), r.eventId(), r.type(), r.status(), r.attempts(),
                r.nextAttemptAt(), r.createdAt(), r.finishedAt(), attempts.getOrDefault(r.id(), List.of()))).toList();
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }
}
