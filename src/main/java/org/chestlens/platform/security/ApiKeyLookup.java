package org.chestlens.platform.security;

import java.time.Instant;
import java.util.Optional;

/**
 * What the filter chain needs of the key store: the usable key a presented secret belongs to. The
 * chain depends on this and not on {@link ApiKeys}, so a web slice test can supply its own keys.
 */
@FunctionalInterface
interface ApiKeyLookup {

    /** @return the key, when the secret is one and the key is neither expired nor revoked at {@code now} */
    Optional<ApiKeys.Key> validKey(String secret, Instant now);
}
