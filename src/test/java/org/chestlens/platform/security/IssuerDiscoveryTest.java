package org.chestlens.platform.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import org.chestlens.TestSecurity;
import org.chestlens.platform.security.SecurityProperties.Jwt;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

/**
 * With only an issuer configured, the signing keys come from the provider's OpenID configuration. Reading it when
 * the service starts would keep the service down (and API keys unusable) while the provider is down or slow, so it
 * is read with the first token instead, and again with the next while it fails; meanwhile a token is answered 503
 * identity-provider-unavailable, and API keys work. Here the issuer is a closed port: this web slice starts, and
 * answers. (The round trip through a real provider is ConsoleOpenIdConnectTest's.)
 */
@WebMvcTest(AuditController.class)
@Import(WebSliceSecurity.class)
@TestPropertySource(properties = "chestlens.security.jwt.issuer-uri=" + IssuerDiscoveryTest.UNREACHABLE)
class IssuerDiscoveryTest {

    /** The discard port on loopback, where nothing listens. */
    static final String UNREACHABLE = "http://127.0.0.1:9/realms/hospital";

    @Autowired
    MockMvc mvc;

    @MockitoBean
    AuditTrail trail;

    @Test
    void aTokenIsAnswered503WhileTheIssuerCannotBeReadAndAnApiKeyStillAuthenticates() throws Exception {
        String token = TestSecurity.token("alice", Role.ADMIN);
        for (int attempt = 0; attempt < 2; attempt++) {
            mvc.perform(get("/api/v1/audit-events").header("Authorization", "Bearer " + token))
                    .andExpect(status().isServiceUnavailable())
                    .andExpect(header().string("Retry-After", "10"))
                    .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                    .andExpect(jsonPath("$.type").value("urn:chestlens:problem:identity-provider-unavailable"));
        }
        // The key is known and holds the reader role only: authenticated, then refused for the admin operation.
        mvc.perform(get("/api/v1/audit-events").header("X-API-Key", WebSliceSecurity.READER_KEY))
                .andExpect(status().isForbidden());
    }

    @Test
    void theDecoderIsBuiltWithoutReadingTheIssuerAndFailsOnEachTokenUntilItCan() {
        JwtDecoder decoder = SecurityConfiguration.jwtDecoder(new Jwt(UNREACHABLE, null, null, null, "roles", "", "sub",
                null)).orElseThrow();
        String token = TestSecurity.token("alice", Role.READER);
        for (int attempt = 0; attempt < 2; attempt++) {
            assertThatThrownBy(() -> decoder.decode(token)).isInstanceOf(SecurityConfiguration.IssuerUnavailable.class)
                    .hasStackTraceContaining("127.0.0.1:9");
        }
    }

    @Test
    void withoutAnyOfIssuerKeySetOrKeyTokensAreNotDecodedAtAll() {
        assertThat(SecurityConfiguration.jwtDecoder(new Jwt(null, null, null, null, "roles", "", "sub", null)))
                .isEmpty();
    }
}
