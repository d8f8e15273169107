package org.chestlens.evaluation;

import java.util.UUID;

import org.chestlens.platform.ApiProblem;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Error analyses and calibrations share one rule: at most one stored run per model version is active
 * (a partial unique index enforces it), and activating one deactivates the other in the same transaction.
 */
final class ActiveRuns {

    private ActiveRuns() {
    }

    /**
     * @param table {@code error_analysis} or {@code calibration}: a constant, never input
     * @param what the run's name in a 404 problem
     */
    static void set(JdbcClient jdbc, String table, String what, UUID id, boolean active) {
        Long version = jdbc.sql("SELECT model_version_id FROM " + table + " WHERE id = :id FOR UPDATE")
                .param("id", id).query(Long.class).optional()
                .orElseThrow(() -> ApiProblem.notFound(what, id));
        if (active) {
            jdbc.sql("UPDATE " + table + " SET active = false WHERE model_version_id = :version AND active AND id <> :id")
                    .param("version", version).param("id", id).update();
        }
        jdbc.sql("UPDATE " + table + " SET active = :active WHERE id = :id").param("active", active).param("id", id)
                .update();
    }
}
