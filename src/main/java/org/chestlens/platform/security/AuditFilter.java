package org.chestlens.platform.security;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Writes one audit row for every API request, allowed or not, once its status is known. It wraps the
 * security filter chain so refusals (401, 403, 429) are recorded too.
 */
final class AuditFilter extends OncePerRequestFilter {

    /** Set by {@link CallerFilter} or the access-denied handler once the caller is known. */
    static final String CALLER = AuditFilter.class.getName() + ".caller";

    private static final Logger log = LoggerFactory.getLogger(AuditFilter.class);

    private final AuditTrail trail;
    private final EndpointPolicies policies;

    AuditFilter(AuditTrail trail, EndpointPolicies policies) {
        this.trail = trail;
        this.policies = policies;
    }

    static boolean isApi(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        return path.startsWith("/api/") || path.startsWith("/dicomweb/");
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !isApi(request);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        boolean failed = true;
        try {
            chain.doFilter(request, response);
            failed = false;
        } finally {
            record(request, failed ? 500 : response.getStatus());
        }
    }

    private void record(HttpServletRequest request, int status) {
        try {
            Optional<EndpointPolicies.Match> match = policies.match(request);
            LinkedHashSet<String> ids = new LinkedHashSet<>();
            match.ifPresent(m -> ids.addAll(m.pathVariables().values()));
            Object named = request.getAttribute(AuditedResources.ATTRIBUTE);
            if (named instanceof List<?> list) {
                list.forEach(id -> ids.add(id.toString()));
            }
            Caller caller = request.getAttribute(CALLER) instanceof Caller known ? known : Caller.ANONYMOUS;
            String path = request.getRequestURI().substring(request.getContextPath().length());
            trail.record(caller, match.map(EndpointPolicies.Match::action).orElse("unknown-endpoint"),
                    request.getMethod(), path.length() > 500 ? path.substring(0, 500) : path, new ArrayList<>(ids),
                    request.getRemoteAddr(), status);
        } catch (RuntimeException e) {
            // The answer is already on its way; losing the row must be visible to operators.
            log.error("Audit row could not be written for {} {} (status {})", request.getMethod(),
                    request.getRequestURI(), status, e);
        }
    }
}
