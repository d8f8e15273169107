package org.chestlens.platform.security;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/** The append-only audit table: one row per API request, written after the answer is known. */
@Component
class AuditTrail {

    /**
     * One access.
     *
     * @param resource    the request path (our ids only; the query string is not kept)
     * @param resourceIds path variables and the ids the endpoint named ({@link AuditedResources})
     */
    @io.swagger.v3.oas.annotations.media.Schema(name = "AuditEvent")
    record Event(long id, Instant occurredAt, String actor, String actorKind, String action, String httpMethod,
                 String resource, List<String> resourceIds, String remoteAddress, Integer status, String outcome) {
    }

    /** Filters of the admin query; null means any. */
    record Query(String actor, String action, String resourceId, String outcome, Instant since, Instant until,
                 Long before, int limit) {
    }

    private final JdbcTemplate jdbc;

    AuditTrail(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    void record(Caller caller, String action, String method, String resource, List<String> resourceIds,
                String remoteAddress, int status) {
        jdbc.update("INSERT INTO audit_event (actor, actor_kind, action, http_method, resource, resource_ids, "
                        + "remote_address, status, outcome) VALUES (?, ?, ?, ?, ?, ?::text[], ?, ?, ?)",
                caller.name(), caller.kind(), action, method, resource, textArray(resourceIds), remoteAddress, status,
                outcome(status));
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
        StringBuilder sql = new StringBuilder("SELECT * FROM audit_event WHERE true");
        List<Object> args = new ArrayList<>();
        if (query.actor() != null) {
            sql.append(" AND actor = ?");
            args.add(query.actor());
        }
        if (query.action() != null) {
            sql.append(" AND action = ?");
            args.add(query.action());
        }
        if (query.resourceId() != null) {
            sql.append(" AND resource_ids @> ARRAY[?]::text[]");
            args.add(query.resourceId());
        }
        if (query.outcome() != null) {
            sql.append(" AND outcome = ?");
            args.add(query.outcome());
        }
        if (query.since() != null) {
            sql.append(" AND occurred_at >= ?");
            args.add(Timestamp.from(query.since()));
        }
        if (query.until() != null) {
            sql.append(" AND occurred_at < ?");
            args.add(Timestamp.from(query.until()));
        }
        if (query.before() != null) {
            sql.append(" AND id < ?");
            args.add(query.before());
        }
        sql.append(" ORDER BY id DESC LIMIT ?");
        args.add(query.limit());
        return jdbc.query(sql.toString(), (rs, i) -> new Event(rs.getLong("id"),
                rs.getTimestamp("occurred_at").toInstant(), rs.getString("actor"), rs.getString("actor_kind"),
                rs.getString("action"), rs.getString("http_method"), rs.getString("resource"),
                Arrays.asList((String[]) rs.getArray("resource_ids").getArray()), rs.getString("remote_address"),
                (Integer) rs.getObject("status"), rs.getString("outcome")), args.toArray());
    }

    private static String textArray(List<String> values) {
        StringBuilder array = new StringBuilder("{");
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                array.append(',');
            }
            array.append('"').append(values.get(i).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        return array.append('}').toString();
    }
}
