package org.chestlens.interop.pacs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The PACS settings' text (what a log line or a debugger shows) leaves out the key and the credentials. */
class PacsSecretsTest {

    @Test
    void theSettingsTextNamesTheDestinationsButNotTheirSecrets() {
        String moduleKey = "q83vEjRWeJ+rze8SNFZ4mQ==";
        String authorization = "Bearer eyJhbGciOiJSUzI1NiJ9.secret-token";
        PacsProperties properties = new Binder(new MapConfigurationPropertySource(Map.of(
                "chestlens.pacs.patient-module-key", moduleKey,
                "chestlens.pacs.destinations[0].name", "main-pacs",
                "chestlens.pacs.destinations[0].protocol", "STOW_RS",
                "chestlens.pacs.destinations[0].url", "https://pacs.example/dicom-web/studies",
                "chestlens.pacs.destinations[0].authorization", authorization)))
                .bindOrCreate("chestlens.pacs", PacsProperties.class);

        assertThat(properties.destinations().get(0).authorization()).isEqualTo(authorization);
        assertThat(properties.toString())
                .contains("patientModuleKey=(set)", "name=main-pacs", "url=https://pacs.example/dicom-web/studies",
                        "authorization=(set)", "maxAttempts=10")
                .doesNotContain(moduleKey).doesNotContain("eyJhbGciOiJSUzI1NiJ9");
    }
}
