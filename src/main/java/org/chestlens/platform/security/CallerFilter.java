package org.chestlens.platform.security;

import java.io.IOException;

import io.github.bucket4j.ConsumptionProbe;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.chestlens.platform.ProblemResponses;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Runs once the caller is authenticated: tells the audit trail who it is, then applies the caller's
 * rate limit (a token bucket per API key or person, shared by all replicas: {@link CallerBuckets}). This
 * is about fairness between callers; the inference queue's own backpressure (429 when it is full) is
 * separate and still applies.
 */
final class CallerFilter extends OncePerRequestFilter {

    private final SecurityProperties.RateLimit settings;
    private final ProblemResponses problems;
    private final CallerBuckets buckets;

    CallerFilter(SecurityProperties.RateLimit settings, ProblemResponses problems, CallerBuckets buckets) {
        this.settings = settings;
        this.problems = problems;
        this.buckets = buckets;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !AuditFilter.isApi(request);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Caller caller = Caller.of(SecurityContextHolder.getContext().getAuthentication());
        request.setAttribute(AuditFilter.CALLER, caller);
        if (!settings.enabled() || caller == Caller.ANONYMOUS) {
            chain.doFilter(request, response); // anonymous callers are refused right after this filter
            return;
        }
        int perMinute = caller.rateLimitPerMinute() != null ? caller.rateLimitPerMinute() : settings.requestsPerMinute();
        ConsumptionProbe probe = buckets.tryConsume(caller.bucketKey(), perMinute);
        response.setHeader("RateLimit-Limit", Integer.toString(perMinute));
        if (probe.isConsumed()) {
            response.setHeader("RateLimit-Remaining", Long.toString(probe.getRemainingTokens()));
            chain.doFilter(request, response);
            return;
        }
        long retryAfter = Math.max(1, (long) Math.ceil(probe.getNanosToWaitForRefill() / 1e9));
        response.setHeader("Retry-After", Long.toString(retryAfter));
        response.setHeader("RateLimit-Remaining", "0");
        problems.write(request, response, HttpStatus.TOO_MANY_REQUESTS, "rate-limited", "Rate limit exceeded",
                "More than " + perMinute + " requests per minute from this caller; retry after " + retryAfter + " s.");
    }
}
