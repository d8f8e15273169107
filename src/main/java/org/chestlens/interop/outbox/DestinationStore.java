package org.chestlens.interop.outbox;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.annotation.Transactional;

/**
 * What the stores of the per-destination outboxes (HL7 v2, PACS) have in common beyond {@link OutboxTable}'s
 * SQL: the manual re-send and the counts the admin API shows, each in its own transaction.
 */
public abstract class DestinationStore {

    protected final JdbcClient jdbc;
    protected final OutboxTable table;

    protected DestinationStore(JdbcClient jdbc, OutboxTable table) {
        this.jdbc = jdbc;
        this.table = table;
    }

    /** Makes a row due now with a fresh allowance of attempts; its destination, empty when there is no such row. */
    @Transactional
    public Optional<String> resend(UUID id) {
        return table.resend(jdbc, id);
    }

    /** Per destination: how many rows are in each status. */
    @Transactional(readOnly = true)
    public Map<String, Map<String, Long>> counts() {
        return table.counts(jdbc);
    }
}
