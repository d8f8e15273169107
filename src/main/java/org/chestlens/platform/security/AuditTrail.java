package org.chestlens.platform.security;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.chestlens.platform.DatabaseAvailability;

import org.chestlens.platform.WhereClause;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The append-only audit table: one row per API request, written after the answer is known; refusals of
 * an anonymous flood are one row per address and minute with their count ({@link RefusalTally}).
 * <p>
 * While the database is unavailable, rows wait in memory (up to {@value #MAX_WAITING}, with the time of
 * their request) and are written as soon as it answers again; only beyond that are rows lost, and the
 * number lost is logged.
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

    static final int MAX_WAITING = 20_000;

    private static final Logger log = LoggerFactory.getLogger(AuditTrail.class);

    /** @param outcome the outcome column, or null to derive it from an HTTP status */
    private record Row(Caller caller, String action, String method, String resource, List<String> resourceIds,
                       String remoteAddress, int status, String outcome, int repeated, Instant occurredAt) {
    }

    private final JdbcClient jdbc;
    private final ObjectProvider<DatabaseAvailability> database;
    private final Deque<Row> waiting = new ConcurrentLinkedDeque<>();
    private final AtomicInteger waitingCount = new AtomicInteger();
    private final AtomicLong lost = new AtomicLong();

    AuditTrail(JdbcClient jdbc, ObjectProvider<DatabaseAvailability> database) {
        this.jdbc = jdbc;
        this.database = database;
        database.ifAvailable(db -> db.onRecovery(this::writeWaiting));
    }

    void record(Caller caller, String action, String method, String resource, List<String> resourceIds,
                String remoteAddress, int status) {
        insert(new Row(caller, action, method, resource, List.copyOf(resourceIds), remoteAddress, status, null, 1,
                Instant.now()));
    }

    /** A row for a protocol other than HTTP, whose status does not say the outcome by itself. */
    void recordProtocol(Caller caller, String action, String resource, List<String> resourceIds,
                        String remoteAddress, int status, String outcome) {
        insert(new Row(caller, action, null, resource, List.copyOf(resourceIds), remoteAddress, status, outcome, 1,
                Instant.now()));
    }

    /** One row standing for {@code count} requests with the same answer (refusals of a flood). */
    void recordRepeated(Caller caller, String action, String resource, String remoteAddress, int status, long count) {
        insert(new Row(caller, action, null, resource, List.of(), remoteAddress, status, null,
                (int) Math.min(count, Integer.MAX_VALUE), Instant.now()));
    }

    private void insert(Row row) {
        DatabaseAvailability db = database.getIfAvailable();
        if (db != null && !db.available()) {
            hold(row);
            return;
        }
        if (waitingCount.get() > 0) {
            writeWaiting(); // a blip too short for the checks to notice left rows behind
        }
        try {
            write(row);
        } catch (RuntimeException e) {
            if (!DatabaseAvailability.isOutage(e)) {
                throw e;
            }
            hold(row);
        }
    }

    private void write(Row row) {
        jdbc.sql("""
                        INSERT INTO audit_event (occurred_at, actor, actor_kind, action, http_method, resource,
                                                 resource_ids, remote_address, status, outcome, repeated)
                        VALUES (:occurredAt, :actor, :actorKind, :action, :method, :resource, :resourceIds,
                                :remoteAddress, :status, :outcome, :repeated)""")
                .param("occurredAt", Timestamp.from(row.occurredAt()))
                .param("actor", row.caller().name()).param("actorKind", row.caller().kind())
                .param("action", row.action()).param("method", row.method()).param("resource", row.resource())
                .param("resourceIds", row.resourceIds().toArray(String[]::new))
                .param("remoteAddress", row.remoteAddress()).param("status", row.status())
                .param("outcome", row.outcome() != null ? row.outcome() : outcome(row.status())).param("repeated", row.repeated())
                .update();
    }

    private void hold(Row row) {
        if (waitingCount.incrementAndGet() > MAX_WAITING) {
            waitingCount.decrementAndGet();
            if (lost.incrementAndGet() % 1000 == 1) {
                log.error("Audit rows lost: the database has been unavailable for {} waiting rows ({} lost so far)",
                        MAX_WAITING, lost.get());
            }
            return;
        }
        waiting.addLast(row);
    }

    /** Writes the rows that waited for the database, oldest first; stops at the next outage. */
    synchronized void writeWaiting() {
        int written = 0;
        Row row;
        while ((row = waiting.pollFirst()) != null) {
            try {
                write(row);
                waitingCount.decrementAndGet();
                written++;
            } catch (RuntimeException e) {
                waiting.addFirst(row);
                log.warn("Audit rows still waiting for the database ({}): {}", waitingCount.get(), e.toString());
                return;
            }
        }
        if (written > 0) {
            log.info("Wrote {} audit rows that waited for the database", written);
        }
    }

    /** Rows waiting for the database (for tests and the outage's log lines). */
    int waitingRows() {
        return waitingCount.get();
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
