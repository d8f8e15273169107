package org.chestlens.platform.security;

import java.io.IOException;
import java.time.Duration;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Runs once the caller is authenticated: tells the audit trail who it is, then applies the caller's
 * rate limit (a token bucket per API key or person, Bucket4j). This is about fairness between
 * callers; the inference queue's own backpressure (429 when it is full) is separate and still applies.
 * Buckets live in this instance's memory, so with N replicas behind a balancer a caller gets up to N
 * times the limit.
 */
final class CallerFilter extends OncePerRequestFilter {

    private final SecurityProperties.RateLimit settings;
    private final ProblemResponses problems;
    private final Cache<String, Bucket> buckets;

    CallerFilter(SecurityProperties.RateLimit settings, ProblemResponses problems) {
        this.settings = settings;
        this.problems = problems;
        this.buckets = Caffeine.newBuilder().expireAfterAccess(settings.idleExpiry()).maximumSize(100_000).build();
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
        Bucket bucket = buckets.get(caller.bucketKey() + "@" + perMinute, k -> Bucket.builder()
                .addLimit(limit -> limit.capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1)))
                .build());
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
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
