package org.chestlens.platform.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;

import org.chestlens.TestSecurity;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.JwtValidationException;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;

/**
 * The verified-token cache in front of a real Nimbus decoder with the test key: a token is verified once, its
 * claims are validated on every use, and neither a refused token nor an expired one is ever answered from it.
 */
class VerifiedTokensTest {

    /** A clock the test moves. */
    private static final class MovableClock extends Clock {
        Instant now = Instant.now();

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final MovableClock clock = new MovableClock();
    private final AtomicInteger verifications = new AtomicInteger();
    private final OAuth2TokenValidator<Jwt> validator;
    private final VerifiedTokens tokens;

    VerifiedTokensTest() {
        JwtTimestampValidator timestamps = new JwtTimestampValidator(Duration.ZERO);
        timestamps.setClock(clock);
        validator = new DelegatingOAuth2TokenValidator<>(timestamps, new JwtIssuerValidator(TestSecurity.ISSUER));
        NimbusJwtDecoder nimbus = NimbusJwtDecoder.withPublicKey(
                SecurityConfiguration.rsaPublicKey(TestSecurity.publicKeyBase64())).build();
        nimbus.setJwtValidator(validator);
        JwtDecoder counting = token -> {
            verifications.incrementAndGet();
            return nimbus.decode(token);
        };
        tokens = new VerifiedTokens(counting, validator, clock);
    }

    @Test
    void aTokenIsVerifiedOnceAndAnsweredFromMemoryAfterwards() {
        String token = TestSecurity.token("alice", Role.READER);
        Jwt first = tokens.decode(token);
        Jwt second = tokens.decode(token);
        assertThat(second).isSameAs(first);
        assertThat(second.getSubject()).isEqualTo("alice");
        assertThat(verifications).hasValue(1);
    }

    @Test
    void anExpiredTokenIsRefusedThoughItWasVerifiedBefore() {
        String token = TestSecurity.token("bob", TestSecurity.ISSUER, clock.now.plusSeconds(120), Role.READER);
        tokens.decode(token);
        clock.now = clock.now.plusSeconds(60);
        tokens.decode(token);
        assertThat(verifications).hasValue(1);
        clock.now = clock.now.plusSeconds(61); // past exp, and past the entry's lifetime, which exp shortened
        assertThatThrownBy(() -> tokens.decode(token)).isInstanceOf(JwtValidationException.class)
                .hasMessageContaining("expired");
        assertThat(tokens.size()).isZero();
    }

    @Test
    void anEntryIsVerifiedAgainAfterItsLifetime() {
        String token = TestSecurity.token("carol", Role.READER); // valid for an hour
        tokens.decode(token);
        clock.now = clock.now.plus(VerifiedTokens.LIFETIME).plusSeconds(1);
        tokens.decode(token);
        assertThat(verifications).hasValue(2);
    }

    @Test
    void aRefusedTokenIsNotRemembered() {
        String token = TestSecurity.token("dave", Role.READER);
        String tampered = token.substring(0, token.length() - 4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> tokens.decode(tampered)).isInstanceOf(JwtException.class);
        }
        assertThat(verifications).hasValue(2);
        assertThat(tokens.size()).isZero();
    }
}
