package org.chestlens.platform.security;

import java.util.List;

import org.springframework.security.authentication.AbstractAuthenticationToken;
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
