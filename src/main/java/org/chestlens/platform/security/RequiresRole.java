package org.chestlens.platform.security;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares, on each handler method, which roles may call it (any one suffices) and the action name
 * its calls are recorded under in the audit trail. A handler of this service without it refuses to
 * start ({@link EndpointPolicies}); it is checked in the security filter chain, before the request
 * body is read.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface RequiresRole {

    Role[] value();

    /** Audit action, e.g. {@code prediction.read}: resource kind, a dot, what was done. */
    String action();
}
