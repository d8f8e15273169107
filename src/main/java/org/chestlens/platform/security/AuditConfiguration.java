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
    FilterRegistrationBean<AuditFilter> auditFilter(AuditTrail trail, EndpointPolicies policies) {
        FilterRegistrationBean<AuditFilter> registration = new FilterRegistrationBean<>(new AuditFilter(trail, policies));
        registration.setOrder(-101); // Spring Security's filter chain runs at -100
        return registration;
    }
}
