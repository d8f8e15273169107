package org.chestlens.platform.security;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.http.server.PathContainer;
import org.springframework.stereotype.Component;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.pattern.PathPattern;

/**
 * The roles and audit action of every endpoint of this service, read from {@link RequiresRole} on its
 * handler methods. Matching is by HTTP method and path only, so a request is authorised before its
 * body is read or its content type negotiated: a caller without the role gets 403 even for a body the
 * endpoint would reject. The service refuses to start while any of its own handlers lacks the
 * annotation, so no endpoint is public by accident.
 */
@Component
class EndpointPolicies implements SmartInitializingSingleton {

    static final String OWN_PACKAGE = "org.chestlens.";
    private static final String MATCH_ATTRIBUTE = EndpointPolicies.class.getName() + ".match";

    /** What an endpoint demands; {@code pathVariables} are this request's values. */
    record Match(Set<Role> roles, String action, String pattern, Map<String, String> pathVariables) {
    }

    private record Entry(PathPattern pattern, Set<RequestMethod> methods, Set<Role> roles, String action) {
    }

    private final ObjectProvider<RequestMappingHandlerMapping> handlerMapping;
    private volatile List<Entry> entries;

    EndpointPolicies(@Qualifier("requestMappingHandlerMapping") ObjectProvider<RequestMappingHandlerMapping> handlerMapping) {
        this.handlerMapping = handlerMapping;
    }

    @Override
    public void afterSingletonsInstantiated() {
        entries();
    }

    /**
     * The endpoint a request is for. Authorisation, the access-denied answer and the audit row all ask;
     * the answer is kept on the request so it is worked out once.
     */
    @SuppressWarnings("unchecked")
    Optional<Match> match(HttpServletRequest request) {
        if (request.getAttribute(MATCH_ATTRIBUTE) instanceof Optional<?> known) {
            return (Optional<Match>) known;
        }
        Optional<Match> match = find(request);
        request.setAttribute(MATCH_ATTRIBUTE, match);
        return match;
    }

    private Optional<Match> find(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        PathContainer container = PathContainer.parsePath(path);
        RequestMethod method = RequestMethod.resolve(request.getMethod());
        if (method == RequestMethod.HEAD) {
            method = RequestMethod.GET; // Spring MVC answers HEAD with the GET handler: the same roles apply
        }
        // The most specific pattern wins (/error-analyses/features over /error-analyses/{id}); handlers
        // that share it (one per accepted content type) pool their roles.
        Entry best = null;
        EnumSet<Role> roles = EnumSet.noneOf(Role.class);
        PathPattern.PathMatchInfo variables = null;
        for (Entry entry : entries()) {
            if (method == null || !(entry.methods().isEmpty() || entry.methods().contains(method))) {
                continue;
            }
            PathPattern.PathMatchInfo info = entry.pattern().matchAndExtract(container);
            if (info == null) {
                continue;
            }
            if (best == null || PathPattern.SPECIFICITY_COMPARATOR.compare(entry.pattern(), best.pattern()) < 0) {
                best = entry;
                variables = info;
                roles = EnumSet.copyOf(entry.roles());
            } else if (entry.pattern().equals(best.pattern())) {
                roles.addAll(entry.roles());
            }
        }
        if (best == null) {
            return Optional.empty();
        }
        return Optional.of(new Match(roles, best.action(), best.pattern().getPatternString(), variables.getUriVariables()));
    }

    /** Every endpoint with its roles, for the contract. */
    List<Match> all() {
        return entries().stream().map(e -> new Match(e.roles(), e.action(), e.pattern().getPatternString(), Map.of()))
                .toList();
    }

    private List<Entry> entries() {
        List<Entry> built = entries;
        if (built == null) {
            built = build(handlerMapping.getObject().getHandlerMethods());
            entries = built;
        }
        return built;
    }

    private static List<Entry> build(Map<RequestMappingInfo, HandlerMethod> handlers) {
        List<Entry> built = new ArrayList<>();
        List<String> unprotected = new ArrayList<>();
        handlers.forEach((info, handler) -> {
            if (!handler.getBeanType().getName().startsWith(OWN_PACKAGE)
                    || ErrorController.class.isAssignableFrom(handler.getBeanType())) {
                return; // springdoc, the /error page: governed by explicit rules in the filter chain
            }
            RequiresRole declared = handler.getMethodAnnotation(RequiresRole.class);
            if (declared == null || declared.value().length == 0) {
                unprotected.add(handler.getShortLogMessage());
                return;
            }
            if (info.getPathPatternsCondition() == null) {
                throw new IllegalStateException("Path patterns expected (PathPatternParser) for " + handler);
            }
            for (PathPattern pattern : info.getPathPatternsCondition().getPatterns()) {
                built.add(new Entry(pattern, info.getMethodsCondition().getMethods(),
                        EnumSet.copyOf(List.of(declared.value())), declared.action()));
            }
        });
        if (!unprotected.isEmpty()) {
            throw new IllegalStateException("Endpoints without @RequiresRole (no endpoint may be public by accident): "
                    + unprotected);
        }
        built.sort(Comparator.comparing(e -> e.pattern().getPatternString()));
        return List.copyOf(built);
    }
}
