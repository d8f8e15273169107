package org.chestlens.platform.security;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.UrlPathHelper;

/**
 * Writes one audit row for every API request, allowed or not, once its status is known. It wraps the
 * security filter chain so refusals (401, 403, 429) are recorded too; the anonymous-flood limit's
 * refusals are counted into one row per address and minute ({@link RefusalTally}).
 */
final class AuditFilter extends OncePerRequestFilter {

    /** Set by {@link CallerFilter} or the access-denied handler once the caller is known. */
    static final String CALLER = AuditFilter.class.getName() + ".caller";

    private static final Logger log = LoggerFactory.getLogger(AuditFilter.class);

    private final AuditTrail trail;
    private final EndpointPolicies policies;
    private final RefusalTally refusals;

    AuditFilter(AuditTrail trail, EndpointPolicies policies, RefusalTally refusals) {
        this.trail = trail;
        this.policies = policies;
        this.refusals = refusals;
    }

    /** On the decoded path, as Spring MVC routes it: /%61pi/... is /api/... too. */
    static boolean isApi(HttpServletRequest request) {
        String path = UrlPathHelper.defaultInstance.getPathWithinApplication(request);
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

    private static String clientAddress(HttpServletRequest request) {
        return request.getAttribute(AnonymousLimitFilter.CLIENT_ADDRESS) instanceof String address
                ? address : request.getRemoteAddr();
    }

    private static boolean isUuid(String value) {
        try {
            UUID.fromString(value);
            return value.length() == 36;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private void record(HttpServletRequest request, int status) {
        if (request.getAttribute(AnonymousLimitFilter.REFUSED) instanceof String address) {
            refusals.refused(address); // no database work per refused request: one row per window
            return;
        }
        String resource = "(endpoint not yet matched)";
        try {
            Optional<EndpointPolicies.Match> match = policies.match(request);
            // Our own ids only (UUIDs): a DICOM Study Instance UID in a STOW-RS path stays out of the trail.
            LinkedHashSet<String> ids = new LinkedHashSet<>();
            match.ifPresent(m -> m.pathVariables().values().stream().filter(AuditFilter::isUuid).forEach(ids::add));
            Object named = request.getAttribute(AuditedResources.ATTRIBUTE);
            if (named instanceof List<?> list) {
                list.forEach(id -> ids.add(id.toString()));
            }
            Caller caller = request.getAttribute(CALLER) instanceof Caller known ? known : Caller.ANONYMOUS;
            // The endpoint's template, not the path the caller typed: ids go to resource_ids, nothing else.
            resource = match.map(EndpointPolicies.Match::pattern).orElse("(no such endpoint)");
            trail.record(caller, match.map(EndpointPolicies.Match::action).orElse("unknown-endpoint"),
                    request.getMethod(), resource, new ArrayList<>(ids), clientAddress(request), status);
        } catch (RuntimeException e) {
            // The answer is already on its way; losing the row must be visible to operators. The template, not
            // the path: a STOW-RS path holds a Study Instance UID.
            log.error("Audit row could not be written for {} {} (status {})", request.getMethod(), resource, status, e);
        }
    }
}
