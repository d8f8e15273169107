package org.chestlens.platform.security;

import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The audit trail's filter, apart from {@link SecurityConfiguration}: the filter chain and its policy
 * can be loaded without the audit table (web slice tests), the service always loads both.
 */
@Configuration(proxyBeanMethods = false)
class AuditConfiguration {

    /** Around Spring Security's own chain, so refusals are audited too. */
    @Bean
    RefusalTally refusalTally(AuditTrail trail) {
        return new RefusalTally(trail); // closed at shutdown: open windows are written
    }

    @Bean
    FilterRegistrationBean<AuditFilter> auditFilter(AuditTrail trail, EndpointPolicies policies, RefusalTally refusals) {
        FilterRegistrationBean<AuditFilter> registration = new FilterRegistrationBean<>(
                new AuditFilter(trail, policies, refusals));
        registration.setOrder(-101); // Spring Security's filter chain runs at -100
        return registration;
    }
}
