package org.chestlens.platform.security;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.CacheControl;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.RouterFunctions;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * The web console: static files under classpath:/static/console/ (plain ES modules and one stylesheet), public
 * like any page (they hold no data; every call they make is authenticated) by an explicit rule of the filter
 * chain, not by an API endpoint. Besides the files it needs only to know which identity provider to sign in with:
 * /console/config.json, which says nothing that the provider's OpenID configuration does not publish. It is the
 * console's own file, not part of the API, so it is not in the contract.
 */
@Configuration(proxyBeanMethods = false)
class ConsoleConfiguration implements WebMvcConfigurer {

    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        registry.addRedirectViewController("/console", "/console/");
        registry.addViewController("/console/").setViewName("forward:/console/index.html");
    }

    @Bean
    RouterFunction<ServerResponse> consoleConfig(SecurityProperties properties) {
        Map<String, Object> config = new LinkedHashMap<>();
        SecurityProperties.Jwt jwt = properties.jwt();
        if (issuerOrigin(jwt).isPresent()) {
            config.put("issuer", jwt.issuerUri());
            config.put("clientId", jwt.consoleClientId());
            config.put("rolesClaim", jwt.rolesClaim());
            config.put("rolePrefix", jwt.rolePrefix());
        }
        Map<String, Object> answer = Map.copyOf(config);
        return RouterFunctions.route().GET("/console/config.json", request -> ServerResponse.ok()
                .cacheControl(CacheControl.noCache()).body(answer)).build();
    }

    /** The identity provider's origin, when the console signs in there (issuer and console client id set). */
    static Optional<String> issuerOrigin(SecurityProperties.Jwt jwt) {
        if (!SecurityProperties.Jwt.present(jwt.issuerUri()) || !SecurityProperties.Jwt.present(jwt.consoleClientId())) {
            return Optional.empty();
        }
        URI issuer = URI.create(jwt.issuerUri());
        return Optional.of(issuer.getScheme() + "://" + issuer.getRawAuthority());
    }
}
