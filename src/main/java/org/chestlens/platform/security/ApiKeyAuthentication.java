package org.chestlens.platform.security;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.chestlens.platform.DatabaseAvailability;

import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/** An {@code X-API-Key} header: unauthenticated as presented, authenticated once found valid. */
final class ApiKeyAuthentication extends AbstractAuthenticationToken {

    private final transient String presented;
    private final transient ApiKeys.Key key;

    private ApiKeyAuthentication(String presented, ApiKeys.Key key) {
        super(key == null ? List.of()
                : key.roles().stream().map(r -> new SimpleGrantedAuthority(r.authority())).toList());
        this.presented = presented;
        this.key = key;
        setAuthenticated(key != null);
    }

    static ApiKeyAuthentication presented(String value) {
        return new ApiKeyAuthentication(value, null);
    }

    static ApiKeyAuthentication valid(ApiKeys.Key key) {
        return new ApiKeyAuthentication(null, key);
    }

    /** Authenticates a presented key by looking it up; unknown, expired and revoked keys are bad credentials. */
    static AuthenticationProvider provider(ApiKeyLookup keys) {
        return new AuthenticationProvider() {
            @Override
            public Authentication authenticate(Authentication authentication) {
                ApiKeyAuthentication presented = (ApiKeyAuthentication) authentication;
                Optional<ApiKeys.Key> key;
                try {
                    key = keys.validKey(presented.presentedValue(), Instant.now());
                } catch (RuntimeException e) {
                    if (DatabaseAvailability.isOutage(e)) {
                        // Not bad credentials: the key could not be checked (answered 503, not 401).
                        throw new AuthenticationServiceException("The API key could not be checked", e);
                    }
                    throw e;
                }
                return key.map(ApiKeyAuthentication::valid)
                        .orElseThrow(() -> new BadCredentialsException("Unknown, expired or revoked API key"));
            }

            @Override
            public boolean supports(Class<?> authentication) {
                return ApiKeyAuthentication.class.isAssignableFrom(authentication);
            }
        };
    }

    String presentedValue() {
        return presented;
    }

    ApiKeys.Key key() {
        return key;
    }

    @Override
    public Object getCredentials() {
        return null; // never kept once checked
    }

    @Override
    public Object getPrincipal() {
        return key == null ? null : key.name();
    }
}
