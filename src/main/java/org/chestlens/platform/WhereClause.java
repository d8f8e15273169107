package org.chestlens.platform;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The WHERE clause of a hand-written query with optional filters, for {@code JdbcClient}: a filter
 * and its named parameter are added only when its value is present, so the statement PostgreSQL
 * plans is the one the request asks for. (The alternative, {@code (CAST(:x AS text) IS NULL OR col = :x)},
 * needs a typed null per parameter and gives the planner a predicate that hides the indexes.)
 *
 * <pre>{@code
 * WhereClause where = WhereClause.where("m.model_id = :modelId")
 *         .and("i.modality = :modality", "modality", modality)
 *         .after("(p.created_at, p.id) <", cursor);
 * jdbc.sql("SELECT ... " + where + " ORDER BY ...").params(where.params()).param("modelId", modelId)...
 * }</pre>
 *
 * Values are bound as given, except {@link Instant}, which is bound as a {@link Timestamp} within the
 * years 1 to 9999.
 */
public final class WhereClause {

    private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999Z");

    private final List<String> conditions = new ArrayList<>();
    private final Map<String, Object> params = new LinkedHashMap<>();

    private WhereClause() {
    }

    /** No condition yet: every row. */
    public static WhereClause all() {
        return new WhereClause();
    }

    /** A condition every row must meet; the caller binds its parameters. */
    public static WhereClause where(String condition) {
        return all().and(condition);
    }

    /** Adds a condition every row must meet; the caller binds its parameters. */
    public WhereClause and(String condition) {
        conditions.add(condition);
        return this;
    }

    /** Adds {@code condition}, which uses the named parameter {@code name}, only when {@code value} is not null. */
    public WhereClause and(String condition, String name, Object value) {
        if (value != null) {
            conditions.add(condition);
            params.put(name, value instanceof Instant instant ? timestamp(instant) : value);
        }
        return this;
    }

    /**
     * Keyset paging: the rows beyond the cursor, when there is one. {@code rowComparison} is the
     * ordering columns and the operator, e.g. {@code "(created_at, id) <"} for newest first.
     */
    public WhereClause after(String rowComparison, KeysetCursor cursor) {
        if (cursor != null) {
            conditions.add(rowComparison + " (:afterCreatedAt, :afterId)");
            params.put("afterCreatedAt", timestamp(cursor.createdAt()));
            params.put("afterId", cursor.id());
        }
        return this;
    }

    /**
     * A client may ask for rows since the year -999999999 (a valid {@code Instant}); neither a
     * {@code Timestamp} nor PostgreSQL holds that. No stored row lies outside the years 1 to 9999, so
     * as a bound of a range such an instant selects the same rows as the nearest of those years.
     */
    private static Timestamp timestamp(Instant instant) {
        return Timestamp.from(instant.isBefore(EARLIEST) ? EARLIEST : instant.isAfter(LATEST) ? LATEST : instant);
    }

    /** The parameters of the conditions added with a value, for {@code JdbcClient.StatementSpec.params}. */
    public Map<String, Object> params() {
        return params;
    }

    /** {@code WHERE a AND b}, or nothing when there is no condition. */
    @Override
    public String toString() {
        return conditions.isEmpty() ? "" : "WHERE " + String.join(" AND ", conditions);
    }
}
