package org.chestlens.platform.security;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import org.chestlens.platform.WhereClause;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The append-only audit table: one row per API request, written after the answer is known; refusals of
 * an anonymous flood are one row per address and minute with their count ({@link RefusalTally}).
 */
@Component
class AuditTrail {

    /**
     * One access.
     *
     * @param resource    the request path (our ids only; the query string is not kept)
     * @param resourceIds path variables and the ids the endpoint named ({@link AuditedResources})
     * @param repeated    how many requests the row stands for: 1, except for the refusals of an anonymous
     *                    flood, counted into one row per client address and minute
     */
    @io.swagger.v3.oas.annotations.media.Schema(name = "AuditEvent")
    record Event(long id, Instant occurredAt, String actor, String actorKind, String action, String httpMethod,
                 String resource, List<String> resourceIds, String remoteAddress, Integer status, String outcome,
                 int repeated) {
    }

    /** Filters of the admin query; null means any. */
    record Query(String actor, String action, String resourceId, String outcome, Instant since, Instant until,
                 Long before, int limit) {
    }

    private final JdbcClient jdbc;

    AuditTrail(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void record(Caller caller, String action, String method, String resource, List<String> resourceIds,
                String remoteAddress, int status) {
        insert(caller, action, method, resource, resourceIds, remoteAddress, status, 1);
    }

    /** One row standing for {@code count} requests with the same answer (refusals of a flood). */
    void recordRepeated(Caller caller, String action, String resource, String remoteAddress, int status, long count) {
        insert(caller, action, null, resource, List.of(), remoteAddress, status, (int) Math.min(count, Integer.MAX_VALUE));
    }

    private void insert(Caller caller, String action, String method, String resource, List<String> resourceIds,
                        String remoteAddress, int status, int repeated) {
        jdbc.sql("""
                        INSERT INTO audit_event (actor, actor_kind, action, http_method, resource, resource_ids,
                                                 remote_address, status, outcome, repeated)
                        VALUES (:actor, :actorKind, :action, :method, :resource, :resourceIds, :remoteAddress, :status,
                                :outcome, :repeated)""")
                .param("actor", caller.name()).param("actorKind", caller.kind()).param("action", action)
                .param("method", method).param("resource", resource)
                .param("resourceIds", resourceIds.toArray(String[]::new)).param("remoteAddress", remoteAddress)
                .param("status", status).param("outcome", outcome(status)).param("repeated", repeated)
                .update();
    }

    static String outcome(int status) {
        if (status == 401 || status == 403) {
            return "denied";
        }
        if (status >= 500) {
            return "error";
        }
        return status >= 400 ? "rejected" : "success";
    }

    /** Newest first; {@code before} is the id cursor of the previous page's last row. */
    List<Event> find(Query query) {
        WhereClause where = WhereClause.all()
                .and("actor = :actor", "actor", query.actor())
                .and("action = :action", "action", query.action())
                .and("resource_ids @> ARRAY[:resourceId]::text[]", "resourceId", query.resourceId())
                .and("outcome = :outcome", "outcome", query.outcome())
                .and("occurred_at >= :since", "since", query.since())
                .and("occurred_at < :until", "until", query.until())
                .and("id < :before", "before", query.before());
        return jdbc.sql("SELECT * FROM audit_event %s ORDER BY id DESC LIMIT :limit".formatted(where))
                .params(where.params()).param("limit", query.limit())
                .query((rs, i) -> new Event(rs.getLong("id"), rs.getTimestamp("occurred_at").toInstant(),
                        rs.getString("actor"), rs.getString("actor_kind"), rs.getString("action"),
                        rs.getString("http_method"), rs.getString("resource"),
                        Arrays.asList((String[]) rs.getArray("resource_ids").getArray()), rs.getString("remote_address"),
                        (Integer) rs.getObject("status"), rs.getString("outcome"), rs.getInt("repeated")))
                .list();
    }
}
