package org.chestlens.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class WhereClauseTest {

    @Test
    void aFilterWithoutAValueAddsNeitherConditionNorParameter() {
        WhereClause where = WhereClause.all().and("modality = :modality", "modality", null).after("(created_at, id) <", null);

        assertThat(where).hasToString("");
        assertThat(where.params()).isEmpty();
    }

    @Test
    void presentFiltersAreJoinedWithAndAndBoundByName() {
        Instant since = Instant.parse("2030-01-02T03:04:05.123456Z");
        UUID id = UUID.randomUUID();

        WhereClause where = WhereClause.where("m.model_id = :modelId")
                .and("i.modality = :modality", "modality", "DX")
                .and("i.view_position = :view", "view", null)
                .and("i.received_at >= :since", "since", since)
                .after("(p.created_at, p.id) <", new KeysetCursor(since, id));

        assertThat(where).hasToString("WHERE m.model_id = :modelId AND i.modality = :modality"
                + " AND i.received_at >= :since AND (p.created_at, p.id) < (:afterCreatedAt, :afterId)");
        assertThat(where.params()).containsOnlyKeys("modality", "since", "afterCreatedAt", "afterId")
                .containsEntry("modality", "DX").containsEntry("since", Timestamp.from(since))
                .containsEntry("afterCreatedAt", Timestamp.from(since)).containsEntry("afterId", id);
    }
}
