package org.chestlens;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.chestlens.platform.security.Role;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.http.HttpHeaders;

/**
 * The tests' identity provider: an RSA key pair made once per test JVM. The service under test trusts
 * its public key (and issuer) through configuration, exactly as it would trust a hospital's IdP; tests
 * sign their own access tokens with the private key. The issuer is a loopback address whose port this JVM
 * holds from the start, so that a real provider can be started there later with the same key: the web
 * console's sign-in test (ConsoleOpenIdConnectTest) does, and signs in through it against the shared test
 * context; every other test only signs its own tokens.
 */
public final class TestSecurity {

    private static final ServerSocket ISSUER_PORT = reservePort();
    public static final String ISSUER = "http://localhost:" + ISSUER_PORT.getLocalPort();
    /** The web console's client id at the identity provider (a public client). */
    public static final String CONSOLE_CLIENT_ID = "chestlens-console";

    private static final RSAKey KEY_PAIR = generate();
    private static final String ALL_ROLES_TOKEN = token("test-client", Role.values());

    private TestSecurity() {
    }

    /** Spring properties that make a service trust this key pair. */
    public static Map<String, Object> properties() {
        return Map.of("chestlens.security.jwt.public-key", publicKeyBase64(),
                "chestlens.security.jwt.issuer-uri", ISSUER,
                "chestlens.security.jwt.console-client-id", CONSOLE_CLIENT_ID);
    }

    /** The key pair, for the identity provider that signs with it. */
    public static RSAKey signingKey() {
        return KEY_PAIR;
    }

    /** Gives up the issuer's port for the identity provider about to listen on it (once per JVM). */
    public static synchronized int releaseIssuerPort() {
        try {
            ISSUER_PORT.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ISSUER_PORT.getLocalPort();
    }

    private static ServerSocket reservePort() {
        try {
            return new ServerSocket(0);
        } catch (IOException e) {
            throw new UncheckedIOException("no free port for the test identity provider", e);
        }
    }

    /** The same, as command-line arguments of a service started as its own process. */
    public static List<String> arguments() {
        return properties().entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toList();
    }

    public static String publicKeyBase64() {
        try {
            return Base64.getEncoder().encodeToString(KEY_PAIR.toRSAPublicKey().getEncoded());
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A signed access token valid for an hour, with the roles in the {@code roles} claim. */
    public static String token(String subject, Role... roles) {
        return token(subject, ISSUER, Instant.now().plusSeconds(3600), roles);
    }

    /** @param expiresAt null for a token without {@code exp} (which the service must refuse) */
    public static String token(String subject, String issuer, Instant expiresAt, Role... roles) {
        try {
            JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer).subject(subject)
                    .issueTime(new Date()).expirationTime(expiresAt == null ? null : Date.from(expiresAt))
                    .claim("roles", Arrays.stream(roles).map(Role::wireName).toList()).build();
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(KEY_PAIR.getKeyID()).build(),
                    claims);
            jwt.sign(new RSASSASigner(KEY_PAIR));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code Authorization: Bearer} with every role: what most tests, which are not about security, use. */
    public static HttpHeaders allRoles() {
        return bearer(ALL_ROLES_TOKEN);
    }

    public static HttpHeaders bearer(String token) {
        HttpHeaders headers = new HttpHeaders();
        headers.setBearerAuth(token);
        return headers;
    }

    public static HttpHeaders roles(Role... roles) {
        return bearer(token("test-" + String.join("-", Arrays.stream(roles).map(Role::wireName).toList()), roles));
    }

    public static HttpHeaders apiKey(String key) {
        HttpHeaders headers = new HttpHeaders();
        headers.set("X-API-Key", key);
        return headers;
    }

    private static RSAKey generate() {
        try {
            return new RSAKeyGenerator(2048).keyID("chestlens-test").generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Registered on every integration test context (see {@link ChestlensIntegrationTest}). */
    public static final class Initializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {
        @Override
        public void initialize(ConfigurableApplicationContext context) {
            context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("test-identity-provider",
                    properties()));
        }
    }
}
