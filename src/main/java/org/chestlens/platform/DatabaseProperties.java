package org.chestlens.platform;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How long anything waits for PostgreSQL ({@code chestlens.database.*}), sized for an interactive API: a
 * request that cannot have the database within a few seconds is answered {@code 503 database-unavailable}
 * with Retry-After rather than held. They are applied to the connection pool and every connection
 * (docs/operations.md#database-outage).
 *
 * @param connectionTimeout longest wait for a pooled connection (also the driver's connect timeout)
 * @param statementTimeout  PostgreSQL's statement_timeout for every pooled connection (Flyway's
 *                          migrations at start-up run on a connection of their own, without it)
 * @param networkTimeout    longest wait for any answer on a connection's socket (a database host that went
 *                          away without closing its connections); longer than the statement timeout
 * @param probeInterval     how often a dedicated connection checks that the database answers; readiness and
 *                          the fail-fast gate follow it
 * @param probeTimeout      how long a check may take before it counts as failed (two failed checks in a row
 *                          mark the database unavailable)
 * @param retryAfter        the Retry-After given with 503 database-unavailable
 */
@ConfigurationProperties("chestlens.database")
public record DatabaseProperties(
        @DefaultValue("2s") Duration connectionTimeout,
        @DefaultValue("5s") Duration statementTimeout,
        @DefaultValue("10s") Duration networkTimeout,
        @DefaultValue("200ms") Duration probeInterval,
        @DefaultValue("1s") Duration probeTimeout,
        @DefaultValue("5s") Duration retryAfter) {

    /** The default of {@code retry-after}, for answers given where the configuration is not at hand (web slices). */
    static final long DEFAULT_RETRY_AFTER_SECONDS = 5;

    /** Whole seconds, at least one: what Retry-After and the driver's timeouts take. */
    static int seconds(Duration duration) {
        return (int) Math.max(1, (duration.toMillis() + 999) / 1000);
    }

    public long retryAfterSeconds() {
        return seconds(retryAfter);
    }
}
