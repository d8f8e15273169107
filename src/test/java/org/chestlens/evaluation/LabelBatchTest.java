package org.chestlens.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** A label import is read no further than its limit: what follows the 100 001st entry is never parsed. */
class LabelBatchTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void readingStopsOneEntryPastTheLimit() {
        // Past the limit comes text that is no JSON at all: reading it would fail with a parse error instead.
        String body = "{\"labels\": [" + "{},".repeat(LabelBatch.MAX_LABELS + 1) + " not json";

        assertThatThrownBy(() -> JSON.readValue(body, LabelBatch.class))
                .hasMessageContaining("at most " + LabelBatch.MAX_LABELS + " labels per request");
    }

    @Test
    void upToTheLimitTheEntriesAreReadAsTheyAre() {
        LabelBatch batch = JSON.readValue("{\"labels\": [{\"image\": \"a\", \"label\": 2}, null, "
                + "{\"image\": \"b\", \"reader\": \"r1\", \"label\": 0, \"comment\": \"c\"}]}", LabelBatch.class);

        assertThat(batch.labels()).hasSize(3);
        assertThat(batch.labels().get(0)).isEqualTo(new LabelBatch.Entry("a", null, 2, null, null));
        assertThat(batch.labels().get(1)).isNull();
        assertThat(batch.labels().get(2).value()).isEqualTo(new LabelInput(0, "c", null));
        assertThatThrownBy(() -> JSON.readValue("{\"labels\": {}}", LabelBatch.class))
                .hasMessageContaining("labels must be an array");
    }
}
