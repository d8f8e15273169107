package org.chestlens.platform.security;

import java.util.Set;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;

/**
 * Who is calling, as the audit trail and the rate limiter see it.
 *
 * @param name              token subject (person) or API key name (integration engine)
 * @param kind              {@code user}, {@code api-key} or {@code anonymous}
 * @param rateLimitPerMinute the key's own limit, or null for the configured default
 * @param defaultPriority    the key's priority for uploads that name none ({@code stat}, {@code routine}), or null
 */
record Caller(String name, String kind, Set<Role> roles, Integer rateLimitPerMinute, String defaultPriority) {

    static final Caller ANONYMOUS = new Caller("anonymous", "anonymous", Set.of(), null, null);

    static Caller of(Authentication authentication) {
        if (authentication instanceof ApiKeyAuthentication key && key.isAuthenticated()) {
            ApiKeys.Key k = key.key();
            return new Caller(k.name(), "api-key", k.roles(), k.rateLimitPerMinute(), k.defaultPriority());
        }
        if (authentication instanceof JwtAuthenticationToken jwt && jwt.isAuthenticated()) {
            return new Caller(jwt.getName(), "user", RoleClaims.rolesOf(jwt.getAuthorities()), null, null);
        }
        return ANONYMOUS;
    }

    /** The rate limiter's bucket key: kinds apart so a person cannot share a key's bucket by name. */
    String bucketKey() {
        return kind + ":" + name;
    }
}
