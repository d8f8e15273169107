package org.chestlens.platform.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;

/** Which address a request is counted against: X-Forwarded-For only through a trusted proxy. */
class AnonymousLimitFilterTest {

    private static final SecurityProperties.AnonymousLimit TRUSTING = new SecurityProperties.AnonymousLimit(true, 60,
            List.of("10.0.0.1", "10.0.0.2"));

    private static MockHttpServletRequest request(String peer, String forwarded) {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/api/v1/models");
        request.setRemoteAddr(peer);
        if (forwarded != null) {
            request.addHeader("X-Forwarded-For", forwarded);
        }
        return request;
    }

    @Test
    void theHeaderOfAnUntrustedPeerIsIgnored() {
        assertThat(AnonymousLimitFilter.clientAddress(request("198.51.100.1", "203.0.113.5"), TRUSTING))
                .isEqualTo("198.51.100.1");
        SecurityProperties.AnonymousLimit trustingNone = new SecurityProperties.AnonymousLimit(true, 60, List.of());
        assertThat(AnonymousLimitFilter.clientAddress(request("10.0.0.1", "203.0.113.5"), trustingNone))
                .isEqualTo("10.0.0.1");
    }

    @Test
    void throughTrustedProxiesTheNearestUntrustedHopIsTheClient() {
        // The client may prepend anything; only what our proxies appended counts.
        assertThat(AnonymousLimitFilter.clientAddress(request("10.0.0.1", "1.2.3.4, 203.0.113.5, 10.0.0.2"), TRUSTING))
                .isEqualTo("203.0.113.5");
        assertThat(AnonymousLimitFilter.clientAddress(request("10.0.0.1", "203.0.113.5"), TRUSTING))
                .isEqualTo("203.0.113.5");
        assertThat(AnonymousLimitFilter.clientAddress(request("10.0.0.1", null), TRUSTING)).isEqualTo("10.0.0.1");
    }
}
