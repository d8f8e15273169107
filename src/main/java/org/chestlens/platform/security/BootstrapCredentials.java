package org.chestlens.platform.security;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.core.env.Environment;
import org.springframework.core.env.Profiles;
import org.springframework.stereotype.Component;

/**
 * The first credential: a configured bootstrap key (production: from the secret store), or, in the
 * {@code dev} profile only, a throw-away key with every role that is printed once and expires.
 */
@Component
class BootstrapCredentials implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(BootstrapCredentials.class);
    static final String BOOTSTRAP_NAME = "bootstrap-admin";
    static final Duration DEV_KEY_LIFETIME = Duration.ofHours(12);

    private final SecurityProperties properties;
    private final ApiKeys keys;
    private final Environment environment;

    BootstrapCredentials(SecurityProperties properties, ApiKeys keys, Environment environment) {
        this.properties = properties;
        this.keys = keys;
        this.environment = environment;
    }

    @Override
    public void run(ApplicationArguments args) {
        String bootstrap = properties.bootstrapAdminKey();
        if (bootstrap != null && !bootstrap.isBlank()) {
            if (!bootstrap.startsWith(ApiKeys.KEY_PREFIX) || bootstrap.length() < ApiKeys.KEY_PREFIX.length() + 32) {
                throw new IllegalStateException("chestlens.security.bootstrap-admin-key must start with '"
                        + ApiKeys.KEY_PREFIX + "' followed by at least 32 random characters");
            }
            keys.register(BOOTSTRAP_NAME, bootstrap, properties.bootstrapAdminRoles(), "configuration");
            log.info("API key '{}' registered from configuration with roles {}", BOOTSTRAP_NAME,
                    properties.bootstrapAdminRoles());
        }
        if (environment.acceptsProfiles(Profiles.of("dev"))) {
            String name = "dev-throwaway-" + Instant.now().getEpochSecond();
            ApiKeys.Created created = keys.create(name, EnumSet.allOf(Role.class), Instant.now().plus(DEV_KEY_LIFETIME),
                    null, "dev-profile");
            log.warn("""

                    ************************************************************************************
                    DEVELOPMENT PROFILE: generated a THROW-AWAY API key with every role, valid for {} h:

                        X-API-Key: {}

                    Never run the dev profile in production. Configure chestlens.security.jwt.* for your
                    identity provider and chestlens.security.bootstrap-admin-key from a secret store.
                    ************************************************************************************""",
                    DEV_KEY_LIFETIME.toHours(), created.secret());
        } else if (!properties.jwt().configured() && (bootstrap == null || bootstrap.isBlank())) {
            log.warn("No identity provider (chestlens.security.jwt.*) and no bootstrap key "
                    + "(chestlens.security.bootstrap-admin-key) configured: only existing API keys can call the API.");
        }
    }
}
