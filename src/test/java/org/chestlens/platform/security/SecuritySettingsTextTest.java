package org.chestlens.platform.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The security settings' text (what a log line or a debugger shows) leaves out the bootstrap admin key. */
class SecuritySettingsTextTest {

    @Test
    void theBootstrapAdminKeyIsNotInTheSettingsText() {
        String key = "clk_0123456789abcdef0123456789abcdef0123";
        SecurityProperties properties = new Binder(new MapConfigurationPropertySource(Map.of(
                "chestlens.security.bootstrap-admin-key", key, "chestlens.security.metrics-public", "true")))
                .bindOrCreate("chestlens.security", SecurityProperties.class);

        assertThat(properties.bootstrapAdminKey()).isEqualTo(key);
        assertThat(properties.toString()).contains("bootstrapAdminKey=(set)", "metricsPublic=true")
                .doesNotContain(key).doesNotContain("0123456789abcdef");
    }
}
