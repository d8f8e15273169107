package org.chestlens.platform.security;

import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import javax.sql.DataSource;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import org.chestlens.platform.DatabaseAvailability;
import org.chestlens.platform.ProblemResponses;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.AuthorizationManager;
import org.springframework.security.authorization.AuthorizationResult;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.JwtTypeValidator;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtDecoderInitializationException;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.jwt.SupplierJwtDecoder;
import org.springframework.security.oauth2.server.resource.web.BearerTokenAuthenticationEntryPoint;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.access.ExceptionTranslationFilter;
import org.springframework.security.web.access.intercept.RequestAuthorizationContext;
import org.springframework.security.config.ObjectPostProcessor;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.oauth2.server.resource.web.authentication.BearerTokenAuthenticationFilter;
import org.springframework.security.web.authentication.AuthenticationEntryPointFailureHandler;
import org.springframework.security.web.authentication.AuthenticationFilter;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter;
import org.springframework.security.web.header.writers.StaticHeadersWriter;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.UrlBasedCorsConfigurationSource;

/**
 * One filter chain for every request: health probes public, the API by role ({@link RequiresRole}),
 * everything else (actuator, the contract when configured so) for admins. Stateless: no sessions,
 * no cookies, hence no CSRF tokens.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(SecurityProperties.class)
class SecurityConfiguration {

    static final String API_KEY_HEADER = "X-API-Key";

    /** Without a database (web slice tests) the buckets are this instance's own. */
    @Bean
    CallerBuckets callerBuckets(SecurityProperties properties, ObjectProvider<DataSource> dataSource,
                                ObjectProvider<MeterRegistry> registry) {
        return new CallerBuckets(properties.rateLimit(), dataSource.getIfAvailable(), registry.getIfAvailable());
    }

    /**
     * Spring Security otherwise times each of the chain's filters, each request's authentication and
     * authorization as observations of their own (Micrometer's frames, these and the request's, were in 2.8 %
     * of the request threads' samples in the cost benchmark's profile); the request as a whole is still timed
     * ({@code http.server.requests}).
     */
    @Bean
    SecurityObservationSettings securityObservationSettings() {
        return SecurityObservationSettings.noObservations();
    }

    @Bean
    SecurityFilterChain securityFilterChain(HttpSecurity http, SecurityProperties properties, ApiKeyLookup apiKeys,
                                            EndpointPolicies policies, ProblemResponses problems,
                                            CallerBuckets buckets, ObjectProvider<DatabaseAvailability> database)
            throws Exception {
        AuthenticationEntryPoint unauthenticated = entryPoint(problems, database);
        AccessDeniedHandler forbidden = (request, response, denied) -> {
            request.setAttribute(AuditFilter.CALLER, Caller.of(SecurityContextHolder.getContext().getAuthentication()));
            problems.write(request, response, HttpStatus.FORBIDDEN, "forbidden", "Forbidden",
                    "Your credentials lack the role this operation requires"
                            + policies.match(request).map(m -> " (" + roleList(m) + ")").orElse("") + ".");
        };

        AuthenticationFilter apiKeyFilter = new AuthenticationFilter(new ProviderManager(ApiKeyAuthentication.provider(apiKeys)), request -> {
            String presented = request.getHeader(API_KEY_HEADER);
            return presented == null ? null : ApiKeyAuthentication.presented(presented.trim());
        });
        apiKeyFilter.setSuccessHandler((request, response, authentication) -> {
        });
        apiKeyFilter.setFailureHandler(new AuthenticationEntryPointFailureHandler(unauthenticated));

        http.csrf(csrf -> csrf.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .requestCache(cache -> cache.disable())
                .cors(cors -> cors.configurationSource(cors(properties)))
                .headers(headers -> headers
                        .contentSecurityPolicy(csp -> csp.policyDirectives(contentSecurityPolicy(properties.jwt())))
                        .referrerPolicy(r -> r.policy(ReferrerPolicyHeaderWriter.ReferrerPolicy.NO_REFERRER))
                        .httpStrictTransportSecurity(h -> h.includeSubDomains(true).maxAgeInSeconds(31_536_000))
                        .addHeaderWriter(new StaticHeadersWriter("Permissions-Policy",
                                "camera=(), microphone=(), geolocation=()")))
                // Before the credential filters (same position, added first): refused floods reach no lookup.
                .addFilterBefore(new AnonymousLimitFilter(properties.anonymousLimit(), problems),
                        org.springframework.security.oauth2.server.resource.web.authentication
                                .BearerTokenAuthenticationFilter.class)
                .addFilterBefore(apiKeyFilter, org.springframework.security.oauth2.server.resource.web.authentication
                        .BearerTokenAuthenticationFilter.class)
                .addFilterBefore(new CallerFilter(properties.rateLimit(), problems, buckets), ExceptionTranslationFilter.class)
                .exceptionHandling(e -> e.authenticationEntryPoint(unauthenticated).accessDeniedHandler(forbidden))
                .authorizeHttpRequests(requests -> {
                    requests.requestMatchers(HttpMethod.GET, "/actuator/health", "/actuator/health/**").permitAll();
                    requests.requestMatchers(HttpMethod.OPTIONS, "/**").permitAll(); // CORS pre-flight
                    if (properties.metricsPublic()) {
                        requests.requestMatchers(HttpMethod.GET, "/actuator/prometheus").permitAll();
                    }
                    if (properties.openapiPublic()) {
                        requests.requestMatchers(HttpMethod.GET, "/v3/api-docs", "/v3/api-docs/**",
                                "/v3/api-docs.yaml", "/swagger-ui.html", "/swagger-ui/**").permitAll();
                    }
                    requests.requestMatchers("/error").permitAll();
                    // The web console's files: the page itself holds no data, every call it makes is authenticated.
                    requests.requestMatchers(HttpMethod.GET, "/console", "/console/", "/console/**").permitAll();
                    requests.anyRequest().access(new EndpointAuthorization(policies));
                });
        jwtDecoder(properties.jwt()).ifPresent(decoder -> http.oauth2ResourceServer(oauth -> oauth
                .authenticationEntryPoint(unauthenticated)
                .accessDeniedHandler(forbidden)
                .jwt(jwt -> jwt.decoder(decoder).jwtAuthenticationConverter(new RoleClaims(properties.jwt())))
                .withObjectPostProcessor(new ObjectPostProcessor<BearerTokenAuthenticationFilter>() {
                    @Override
                    public <O extends BearerTokenAuthenticationFilter> O postProcess(O filter) {
                        // A token that could not be checked (the identity provider unreachable) is answered by the
                        // entry point too (503), not thrown past the filter chain as an error.
                        AuthenticationEntryPointFailureHandler failure =
                                new AuthenticationEntryPointFailureHandler(unauthenticated);
                        failure.setRethrowAuthenticationServiceException(false);
                        filter.setAuthenticationFailureHandler(failure);
                        return filter;
                    }
                })));
        return http.build();
    }

    private static String roleList(EndpointPolicies.Match match) {
        return "one of: " + String.join(", ", match.roles().stream().map(Role::wireName).sorted().toList());
    }

    private static AuthenticationEntryPoint entryPoint(ProblemResponses problems,
                                                       ObjectProvider<DatabaseAvailability> database) {
        BearerTokenAuthenticationEntryPoint bearer = new BearerTokenAuthenticationEntryPoint();
        return (request, response, failure) -> {
            if (failure instanceof AuthenticationServiceException && failure.getCause() instanceof IssuerUnavailable) {
                response.setHeader(HttpHeaders.RETRY_AFTER, String.valueOf(IssuerUnavailable.RETRY_AFTER_SECONDS));
                problems.write(request, response, HttpStatus.SERVICE_UNAVAILABLE, IssuerUnavailable.PROBLEM_SLUG,
                        "Identity provider unavailable", "The access token could not be checked: the identity "
                                + "provider's OpenID configuration could not be read. Retry later, or use an API key.");
                return;
            }
            if (failure instanceof AuthenticationServiceException && DatabaseAvailability.isOutage(failure)) {
                DatabaseAvailability known = database.getIfAvailable();
                if (known != null) {
                    known.rejected();
                    known.retryAfter().forEach((name, values) -> response.setHeader(name, values.get(0)));
                }
                problems.write(request, response, HttpStatus.SERVICE_UNAVAILABLE, DatabaseAvailability.PROBLEM_SLUG,
                        "Database unavailable", "The API key could not be checked: the database is unavailable and "
                                + "the key was not used recently. Retry after the time given, or use an access token.");
                return;
            }
            bearer.commence(request, response, failure); // status and WWW-Authenticate (RFC 6750)
            response.addHeader("WWW-Authenticate", "ApiKey header=\"" + API_KEY_HEADER + "\"");
            String detail = request.getHeader(API_KEY_HEADER) != null
                    ? "The API key is unknown, expired or revoked."
                    : request.getHeader("Authorization") != null
                    ? "The access token is invalid, expired or not accepted by this service."
                    : "Send an access token (Authorization: Bearer) or an API key (" + API_KEY_HEADER + ").";
            problems.write(request, response, HttpStatus.UNAUTHORIZED, "unauthorized", "Authentication required",
                    detail);
        };
    }

    /**
     * Same-origin everything. The one widening: with an identity provider configured, the console's script fetches
     * its OpenID configuration and exchanges the authorization code at its token endpoint, so connect-src names the
     * issuer's origin (and no other).
     */
    static String contentSecurityPolicy(SecurityProperties.Jwt jwt) {
        String connect = ConsoleConfiguration.issuerOrigin(jwt).map(origin -> "connect-src 'self' " + origin + "; ")
                .orElse("");
        return "default-src 'self'; " + connect + "img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                + "frame-ancestors 'none'; form-action 'self'";
    }

    /** What a front end on another origin may send and read: every method and header the contract uses. */
    static final List<String> CORS_METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE");
    static final List<String> CORS_REQUEST_HEADERS = List.of("Authorization", API_KEY_HEADER, "Content-Type", "Accept",
            "Prefer", "Idempotency-Key", "If-None-Match");
    static final List<String> CORS_EXPOSED_HEADERS = List.of("Location", "Retry-After", "RateLimit-Limit",
            "RateLimit-Remaining", "Preference-Applied", "ETag", "Content-Disposition");

    private static UrlBasedCorsConfigurationSource cors(SecurityProperties properties) {
        UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();
        if (!properties.corsAllowedOrigins().isEmpty()) {
            CorsConfiguration configuration = new CorsConfiguration();
            configuration.setAllowedOrigins(properties.corsAllowedOrigins());
            configuration.setAllowedMethods(CORS_METHODS);
            configuration.setAllowedHeaders(CORS_REQUEST_HEADERS);
            configuration.setExposedHeaders(CORS_EXPOSED_HEADERS);
            source.registerCorsConfiguration("/api/**", configuration);
            source.registerCorsConfiguration("/dicomweb/**", configuration);
        }
        return source;
    }

    static Optional<JwtDecoder> jwtDecoder(SecurityProperties.Jwt settings) {
        if (!settings.configured()) {
            return Optional.empty();
        }
        if (!SecurityProperties.Jwt.present(settings.issuerUri())) {
            // A key set may be shared by many tenants or applications (Entra's common keys): the issuer
            // is what says the token was minted for our realm.
            throw new IllegalStateException("chestlens.security.jwt.issuer-uri is required with jwk-set-uri or "
                    + "public-key: tokens must name the hospital's identity provider as their issuer");
        }
        List<OAuth2TokenValidator<Jwt>> validators = new ArrayList<>();
        JwtTimestampValidator timestamps = new JwtTimestampValidator();
        timestamps.setAllowEmptyExpiryClaim(false); // a token without exp would never expire
        validators.add(timestamps);
        validators.add(new JwtIssuerValidator(settings.issuerUri()));
        JwtTypeValidator type = new JwtTypeValidator("JWT", "at+jwt"); // RFC 9068 access tokens too
        type.setAllowEmpty(true);
        validators.add(type);
        if (!SecurityProperties.Jwt.present(settings.audience())) {
            LoggerFactory.getLogger(SecurityConfiguration.class).warn("chestlens.security.jwt.audience is not set: any "
                    + "token of the issuer is accepted, also one minted for another application (with its roles). Set "
                    + "it to chestlens' client id at the identity provider, and consider a role-prefix.");
        }
        if (SecurityProperties.Jwt.present(settings.audience())) {
            validators.add(new JwtClaimValidator<List<String>>(JwtClaimNames.AUD,
                    audience -> audience != null && audience.contains(settings.audience())));
        }
        OAuth2TokenValidator<Jwt> validator = new DelegatingOAuth2TokenValidator<>(validators);
        return Optional.of(new VerifiedTokens(signatureChecking(settings, validator), validator, Clock.systemUTC()));
    }

    /** The decoder that verifies a token's signature against the configured keys, then validates its claims. */
    private static JwtDecoder signatureChecking(SecurityProperties.Jwt settings, OAuth2TokenValidator<Jwt> validator) {
        if (SecurityProperties.Jwt.present(settings.jwkSetUri())) {
            return validating(NimbusJwtDecoder.withJwkSetUri(settings.jwkSetUri()).build(), validator);
        }
        if (SecurityProperties.Jwt.present(settings.publicKey())) {
            return validating(NimbusJwtDecoder.withPublicKey(rsaPublicKey(settings.publicKey())).build(), validator);
        }
        // Building a decoder from the issuer reads its OpenID configuration at once. Deferred to the first token
        // (and tried again with the next one while it fails), so that the service starts, and API keys work, while
        // the identity provider is down or slow.
        JwtDecoder discovered = new SupplierJwtDecoder(() -> validating(
                NimbusJwtDecoder.withIssuerLocation(settings.issuerUri()).build(), validator));
        return token -> {
            try {
                return discovered.decode(token);
            } catch (JwtDecoderInitializationException e) {
                throw new IssuerUnavailable(e);
            }
        };
    }

    /** The issuer's OpenID configuration could not be read: the token is neither valid nor invalid yet (503). */
    static final class IssuerUnavailable extends JwtException {

        static final String PROBLEM_SLUG = "identity-provider-unavailable";
        static final int RETRY_AFTER_SECONDS = 10;

        IssuerUnavailable(JwtDecoderInitializationException cause) {
            super("the identity provider's OpenID configuration could not be read", cause);
        }
    }

    private static NimbusJwtDecoder validating(NimbusJwtDecoder decoder, OAuth2TokenValidator<Jwt> validator) {
        decoder.setJwtValidator(validator);
        return decoder;
    }

    static RSAPublicKey rsaPublicKey(String text) {
        String base64 = text.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
        try {
            return (RSAPublicKey) KeyFactory.getInstance("RSA")
                    .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
        } catch (Exception e) {
            throw new IllegalStateException("chestlens.security.jwt.public-key is not an RSA public key (PEM or base64 "
                    + "X.509)", e);
        }
    }

    /** The role check: by the endpoint's declaration; unknown API paths only need a caller (they answer 404). */
    private record EndpointAuthorization(EndpointPolicies policies) implements AuthorizationManager<RequestAuthorizationContext> {

        @Override
        public AuthorizationResult authorize(Supplier<? extends Authentication> authentication,
                                             RequestAuthorizationContext context) {
            Caller caller = Caller.of(authentication.get());
            if (caller == Caller.ANONYMOUS) {
                return new AuthorizationDecision(false);
            }
            HttpServletRequest request = context.getRequest();
            Optional<EndpointPolicies.Match> match = policies.match(request);
            if (match.isPresent()) {
                return new AuthorizationDecision(caller.roles().stream().anyMatch(match.get().roles()::contains));
            }
            // Not one of our endpoints: actuator (other than health) and, when not public, the contract.
            boolean ours = AuditFilter.isApi(request);
            return new AuthorizationDecision(ours || caller.roles().contains(Role.ADMIN));
        }
    }
}
