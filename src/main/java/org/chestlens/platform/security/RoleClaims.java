package org.chestlens.platform.security;

import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.springframework.core.convert.converter.Converter;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;

/**
 * Turns an access token into our roles. Identity providers put roles in different places (Keycloak:
 * {@code realm_access.roles}; Azure AD app roles: {@code roles}), hence a configurable dotted claim
 * path and prefix. Roles we do not know are ignored, not an error: the same token may serve other
 * applications.
 */
final class RoleClaims implements Converter<Jwt, AbstractAuthenticationToken> {

    private final SecurityProperties.Jwt settings;

    RoleClaims(SecurityProperties.Jwt settings) {
        this.settings = settings;
    }

    @Override
    public AbstractAuthenticationToken convert(Jwt jwt) {
        EnumSet<Role> roles = EnumSet.noneOf(Role.class);
        for (String claimed : claimedRoles(jwt.getClaims())) {
            String name = claimed;
            if (!settings.rolePrefix().isEmpty()) {
                if (!name.startsWith(settings.rolePrefix())) {
                    continue;
                }
                name = name.substring(settings.rolePrefix().length());
            }
            Role.fromWireName(name).ifPresent(roles::add);
        }
        List<GrantedAuthority> authorities = roles.stream()
                .map(r -> (GrantedAuthority) new SimpleGrantedAuthority(r.authority())).toList();
        Object principal = jwt.getClaims().get(settings.principalClaim());
        String name = principal == null ? jwt.getSubject() : principal.toString();
        return new JwtAuthenticationToken(jwt, authorities, name == null ? "unnamed-token" : name);
    }

    private List<String> claimedRoles(Map<String, Object> claims) {
        Object node = claims;
        for (String part : settings.rolesClaim().split("\\.")) {
            if (!(node instanceof Map<?, ?> map)) {
                return List.of();
            }
            node = map.get(part);
        }
        if (node instanceof Collection<?> values) {
            return values.stream().map(String::valueOf).toList();
        }
        if (node instanceof String value) {
            return List.of(value.split("[ ,]+")); // a space-separated scope-like string
        }
        return List.of();
    }

    static Set<Role> rolesOf(Collection<? extends GrantedAuthority> authorities) {
        EnumSet<Role> roles = EnumSet.noneOf(Role.class);
        for (GrantedAuthority authority : authorities) {
            for (Role role : Role.values()) {
                if (role.authority().equals(authority.getAuthority())) {
                    roles.add(role);
                }
            }
        }
        return roles;
    }
}
