package org.chestlens.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The Patient ID key: long enough or the start stops, and never printed, not even when refused. */
class PatientIdKeyTest {

    private static IngestProperties withKey(String key) {
        return new Binder(new MapConfigurationPropertySource(Map.of("chestlens.ingest.patient-id-key", key)))
                .bindOrCreate("chestlens.ingest", IngestProperties.class);
    }

    @Test
    void aKeyShorterThan32CharactersStopsTheStartWithoutBeingQuoted() {
        String shortKey = "hospital-key-2026-short-31chars";
        assertThat(shortKey).hasSize(31);

        assertThatThrownBy(() -> new PatientIdHasher(withKey(shortKey)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("31 characters").hasMessageContaining("32 or more")
                .hasMessageNotContaining(shortKey);
    }

    @Test
    void aLongKeyHashesTheSameIdTheSameWayAndIsNotInTheSettingsText() {
        String key = "a-key-of-exactly-32-characters!!";
        PatientIdHasher one = new PatientIdHasher(withKey(key));
        PatientIdHasher other = new PatientIdHasher(withKey(key));

        assertThat(one.hash("PAT-0042")).isEqualTo(other.hash("PAT-0042")).isNotEqualTo(one.hash("PAT-0043"))
                .doesNotContain("PAT-0042");
        assertThat(withKey(key).toString()).contains("patientIdKey=(set)").doesNotContain(key);
        assertThat(new Binder(new MapConfigurationPropertySource(Map.of("chestlens.ingest.max-pixels", "1000")))
                .bindOrCreate("chestlens.ingest", IngestProperties.class).toString())
                .contains("maxPixels=1000", "patientIdKey=(unset)");
    }
}
