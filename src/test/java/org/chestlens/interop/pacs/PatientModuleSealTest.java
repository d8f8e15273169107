package org.chestlens.interop.pacs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

import org.chestlens.prediction.PatientHeader;
import org.junit.jupiter.api.Test;

/** AES-GCM sealing of the patient module for the outbox row: round trip, bound to its row and key, no key: none. */
class PatientModuleSealTest {

    private static final String KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    private static final PatientHeader PATIENT = new PatientHeader("Doe^Jane", "PID-TEST-0001", "19700101", "F");

    @Test
    void sealsForOneRowUnderOneKey() {
        PatientModuleSeal seal = new PatientModuleSeal(properties(KEY));
        UUID row = UUID.randomUUID();
        byte[] sealed = seal.seal(PATIENT, row);
        assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("Doe").doesNotContain("PID-TEST");
        assertThat(seal.seal(PATIENT, row)).as("a fresh nonce each time").isNotEqualTo(sealed);
        assertThat(seal.open(sealed, row)).contains(new PatientModule("Doe^Jane", "PID-TEST-0001", "19700101", "F"));
        assertThat(seal.open(sealed, UUID.randomUUID())).as("moved to another row").isEmpty();
        assertThat(new PatientModuleSeal(properties("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="))
                .open(sealed, row)).as("another key").isEmpty();
        sealed[sealed.length - 1] ^= 1;
        assertThat(seal.open(sealed, row)).as("tampered").isEmpty();
        assertThat(seal.open(null, row)).isEmpty();
        assertThat(new PatientModule("Doe^Jane", "x", "", "").toString()).doesNotContain("Doe");
        assertThat(PATIENT.toString()).doesNotContain("Doe");
    }

    @Test
    void withoutAKeyNothingIsSealedAndABadKeyStopsTheStart() {
        PatientModuleSeal none = new PatientModuleSeal(properties(null));
        assertThat(none.enabled()).isFalse();
        assertThat(none.seal(PATIENT, UUID.randomUUID())).isNull();
        assertThatThrownBy(() -> new PatientModuleSeal(properties("c2hvcnQ="))).hasMessageContaining("16, 24 or 32");
        assertThatThrownBy(() -> new PatientModuleSeal(properties("not base64!"))).hasMessageContaining("base64");
    }

    private static PacsProperties properties(String key) {
        return new PacsProperties(true, key, java.time.Duration.ofSeconds(5), 10, java.time.Duration.ofSeconds(10),
                java.time.Duration.ofHours(1), List.of());
    }
}
