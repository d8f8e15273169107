package org.chestlens.platform.security;

import java.util.ArrayList;
import java.util.List;

import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;

/**
 * Lets an endpoint name the resources a request touched beyond its path variables (the images an
 * upload created, the image a label belongs to), so the audit trail can answer "who accessed this
 * image". Ids only: never names, dates of birth or other patient identity.
 */
public final class AuditedResources {

    static final String ATTRIBUTE = AuditedResources.class.getName();

    private AuditedResources() {
    }

    public static void add(Object... ids) {
        RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
        if (attributes == null) {
            return;
        }
        @SuppressWarnings("unchecked")
        List<String> named = (List<String>) attributes.getAttribute(ATTRIBUTE, RequestAttributes.SCOPE_REQUEST);
        if (named == null) {
            named = new ArrayList<>();
            attributes.setAttribute(ATTRIBUTE, named, RequestAttributes.SCOPE_REQUEST);
        }
        for (Object id : ids) {
            if (id != null && named.size() < 1000) {
                named.add(id.toString());
            }
        }
    }
}
