package org.chestlens.platform.security;

import java.io.IOException;
import java.time.Duration;
import java.util.HexFormat;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.chestlens.platform.ProblemResponses;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Runs before any credential is checked: a client address whose failed authentications have spent its
 * budget is answered 429 without a key lookup, and its refusals are tallied in memory by the audit
 * filter ({@link RefusalTally}) instead of one row each. Only failures (401) spend the budget, and a
 * credential this instance has recently seen accepted passes even an address that is spent (a proxy or
 * NAT shared with an attacker), so callers with valid credentials keep being served.
 */
final class AnonymousLimitFilter extends OncePerRequestFilter {

    /** Set on a request this filter refused; its value is the client address. */
    static final String REFUSED = AnonymousLimitFilter.class.getName() + ".refused";
    /** The client address as resolved here (trusted proxies' X-Forwarded-For), for the audit trail. */
    static final String CLIENT_ADDRESS = AnonymousLimitFilter.class.getName() + ".client";

    private final SecurityProperties.AnonymousLimit settings;
    private final ProblemResponses problems;
    private final Cache<String, Bucket> buckets;
    /** SHA-256 of credentials that were accepted: never the credentials themselves. */
    private final Cache<String, Boolean> accepted;

    AnonymousLimitFilter(SecurityProperties.AnonymousLimit settings, ProblemResponses problems) {
        this.settings = settings;
        this.problems = problems;
        // Bounded: a spoofing flood from many addresses evicts old buckets instead of exhausting memory.
        this.buckets = Caffeine.newBuilder().expireAfterAccess(Duration.ofMinutes(10)).maximumSize(100_000).build();
        this.accepted = Caffeine.newBuilder().expireAfterWrite(Duration.ofMinutes(10)).maximumSize(10_000).build();
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !settings.enabled() || !AuditFilter.isApi(request);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String address = clientAddress(request, settings);
        request.setAttribute(CLIENT_ADDRESS, address);
        int perMinute = settings.failuresPerMinute();
        Bucket bucket = buckets.get(address, k -> Bucket.builder()
                .addLimit(limit -> limit.capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1)))
                .build());
        String credential = credentialDigest(request);
        boolean known = credential != null && accepted.getIfPresent(credential) != null;
        if (!known && bucket.getAvailableTokens() <= 0) {
            long retryAfter = Math.max(1, (long) Math.ceil(
                    bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill() / 1e9));
            request.setAttribute(REFUSED, address);
            response.setHeader("Retry-After", Long.toString(retryAfter));
            problems.write(request, response, HttpStatus.TOO_MANY_REQUESTS, "rate-limited", "Rate limit exceeded",
                    "Too many failed authentications from this address; retry after " + retryAfter + " s.");
            return;
        }
        chain.doFilter(request, response);
        if (response.getStatus() == HttpStatus.UNAUTHORIZED.value()) {
            bucket.tryConsume(1);
            if (credential != null) {
                accepted.invalidate(credential); // expired or revoked since
            }
        } else if (credential != null && !known) {
            accepted.put(credential, Boolean.TRUE);
        }
    }

    private static String credentialDigest(HttpServletRequest request) {
        String presented = request.getHeader(SecurityConfiguration.API_KEY_HEADER);
        if (presented == null) {
            presented = request.getHeader(HttpHeaders.AUTHORIZATION);
        }
        if (presented == null) {
            return null;
        }
        return HexFormat.of().formatHex(ApiKeys.hash(presented.trim()));
    }

    /**
     * The direct peer, or, when that peer is a trusted proxy, the nearest address in X-Forwarded-For that
     * is not itself a trusted proxy (the left part of the header is whatever the client chose to send).
     */
    static String clientAddress(HttpServletRequest request, SecurityProperties.AnonymousLimit settings) {
        String address = request.getRemoteAddr();
        String forwarded = request.getHeader("X-Forwarded-For");
        if (forwarded == null || !settings.trustedProxies().contains(address)) {
            return address;
        }
        String[] hops = forwarded.split(",");
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].trim();
            if (hop.isEmpty()) {
                break;
            }
            address = hop;
            if (!settings.trustedProxies().contains(hop)) {
                break;
            }
        }
        return address;
    }
}
