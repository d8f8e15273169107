package org.chestlens.platform.security;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import org.chestlens.platform.ProblemResponses;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * The service's filter chain and endpoint policy for web slice tests ({@link org.chestlens.WebSliceTest}).
 * Tokens are checked exactly as in the service; API keys come from this class instead of the
 * {@code api_key} table, through the lookup the filter chain uses ({@link ApiKeyLookup}).
 */
@TestConfiguration(proxyBeanMethods = false)
@Import({SecurityConfiguration.class, EndpointPolicies.class, ProblemResponses.class})
public class WebSliceSecurity {

    /** An API key with the reader role. */
    public static final String READER_KEY = "clk_web-slice-reader-key-0000000000000000000";
    /** An API key that was revoked: refused like an unknown one. */
    public static final String REVOKED_KEY = "clk_web-slice-revoked-key-000000000000000000";

    private static final Map<String, ApiKeys.Key> KEYS = Map.of(
            READER_KEY, key("slice-reader", null),
            REVOKED_KEY, key("slice-revoked", Instant.parse("2025-01-01T00:00:00Z")));

    @Bean
    ApiKeyLookup sliceApiKeys() {
        return (secret, now) -> Optional.ofNullable(KEYS.get(secret)).filter(k -> k.usableAt(now));
    }

    private static ApiKeys.Key key(String name, Instant revokedAt) {
        return new ApiKeys.Key(UUID.nameUUIDFromBytes(name.getBytes()), name, name, Set.of(Role.READER), null,
                Instant.parse("2024-01-01T00:00:00Z"), "web-slice", null, revokedAt, null);
    }
}
