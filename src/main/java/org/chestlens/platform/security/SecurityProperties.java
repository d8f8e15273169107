package org.chestlens.platform.security;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Authentication, authorisation and rate limits ({@code chestlens.security.*}).
 *
 * @param jwt                 the hospital identity provider whose access tokens people and front ends present
 * @param bootstrapAdminKey   an API key the service registers at start-up (as bootstrap-admin) so the first
 *                            real keys can be created; rotated when changed, an admin's revocation stands;
 *                            from a secret store, never the repository
 * @param bootstrapAdminRoles roles of that key
 * @param openapiPublic       whether Swagger UI and the OpenAPI document may be read without credentials
 * @param metricsPublic       whether /actuator/prometheus may be scraped without credentials (keep it false
 *                            unless a network policy limits who reaches the port; the Helm chart sets it
 *                            with its ServiceMonitor)
 * @param corsAllowedOrigins  origins of web front ends allowed to call the API from a browser
 * @param rateLimit           requests per caller
 * @param anonymousLimit      failed authentications per client address, limited before any credential is looked up
 * @param apiKeyCache         how long a valid API key is remembered (revocation reaches other replicas within it)
 */
@ConfigurationProperties("chestlens.security")
record SecurityProperties(
        @DefaultValue Jwt jwt,
        String bootstrapAdminKey,
        @DefaultValue("admin") Set<Role> bootstrapAdminRoles,
        @DefaultValue("true") boolean openapiPublic,
        @DefaultValue("false") boolean metricsPublic,
        @DefaultValue List<String> corsAllowedOrigins,
        @DefaultValue RateLimit rateLimit,
        @DefaultValue AnonymousLimit anonymousLimit,
        @DefaultValue ApiKeyCache apiKeyCache) {

    /** Without the bootstrap admin key, a secret. */
    @Override
    public String toString() {
        return "SecurityProperties[jwt=%s, bootstrapAdminKey=%s, bootstrapAdminRoles=%s, openapiPublic=%s, "
                .formatted(jwt, bootstrapAdminKey == null || bootstrapAdminKey.isEmpty() ? "(none)" : "(set)",
                        bootstrapAdminRoles, openapiPublic)
                + "metricsPublic=%s, corsAllowedOrigins=%s, rateLimit=%s, anonymousLimit=%s, apiKeyCache=%s]"
                .formatted(metricsPublic, corsAllowedOrigins, rateLimit, anonymousLimit, apiKeyCache);
    }

    /**
     * @param issuerUri      expected iss claim; also where the signing keys are discovered (OpenID
     *                       configuration) when neither jwk-set-uri nor public-key is set. With none of the
     *                       three, tokens are refused and API keys still work
     * @param jwkSetUri      the identity provider's JWK set
     * @param publicKey      an RSA public key (PEM or bare base64 X.509) instead of a JWK set
     * @param audience       when set, tokens must name it in aud
     * @param rolesClaim     claim holding the roles; a dotted path reaches nested claims
     *                       (realm_access.roles for Keycloak, roles for Azure AD app roles)
     * @param rolePrefix     stripped from each claimed role before it is matched (e.g. chestlens-)
     * @param principalClaim claim naming the person in the audit trail
     * @param consoleClientId the web console's client id at the identity provider (a public client: authorization
     *                       code with PKCE, redirect URI https://this-host/console/); without it the console signs in
     *                       with API keys only
     */
    public record Jwt(
            String issuerUri,
            String jwkSetUri,
            String publicKey,
            String audience,
            @DefaultValue("roles") String rolesClaim,
            @DefaultValue("") String rolePrefix,
            @DefaultValue("sub") String principalClaim,
            String consoleClientId) {

        boolean configured() {
            return present(issuerUri) || present(jwkSetUri) || present(publicKey);
        }

        static boolean present(String value) {
            return value != null && !value.isBlank();
        }
    }

    /**
     * @param enabled           whether requests are rate-limited at all
     * @param requestsPerMinute requests per minute per API key or person (also the burst a quiet caller may
     *                          send at once); a key may set its own
     * @param idleExpiry        a caller's bucket is forgotten after this long without requests
     * @param clusterWide       whether buckets live in PostgreSQL, shared by every replica (one request takes
     *                          one row lock there); false: each replica counts alone, so N replicas allow N
     *                          times the rate
     * @param fallbackRetry     when the shared buckets cannot be reached, this replica counts alone for this
     *                          long before it tries the database again
     */
    public record RateLimit(
            @DefaultValue("true") boolean enabled,
            @DefaultValue("600") int requestsPerMinute,
            @DefaultValue("10m") Duration idleExpiry,
            @DefaultValue("true") boolean clusterWide,
            @DefaultValue("5s") Duration fallbackRetry) {
    }

    /**
     * @param enabled           whether failed authentications are limited per client address
     * @param failuresPerMinute failed authentications (401) per minute per client address (also the burst);
     *                          once spent, the address is answered 429 without a credential lookup or an
     *                          audit row per request (one row per address and minute counts them)
     * @param trustedProxies    addresses of reverse proxies whose X-Forwarded-For names the client; from any
     *                          other peer the header is ignored
     */
    public record AnonymousLimit(
            @DefaultValue("true") boolean enabled,
            @DefaultValue("60") int failuresPerMinute,
            @DefaultValue List<String> trustedProxies) {
    }

    /**
     * @param refresh a key used after this long is looked up again (so a revocation on another replica takes
     *                effect within it while the database answers)
     * @param ttl     how long a looked-up key may still be used when the database cannot be reached; a
     *                revocation on another replica takes effect within it at the latest
     */
    public record ApiKeyCache(
            @DefaultValue("5s") Duration refresh,
            @DefaultValue("60s") Duration ttl) {
    }
}
