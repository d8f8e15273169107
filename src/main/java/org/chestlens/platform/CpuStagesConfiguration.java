package org.chestlens.platform;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Counts the request thread's CPU per stage ({@link CpuStages}) for the requests that upload images: around
 * everything the service does for them, the audit trail and Spring Security included.
 */
@Configuration(proxyBeanMethods = false)
class CpuStagesConfiguration {

    @Bean
    CpuStages cpuStages(ObjectProvider<MeterRegistry> meters) {
        return new CpuStages(meters.getIfAvailable(SimpleMeterRegistry::new));
    }

    @Bean
    FilterRegistrationBean<Filter> uploadCpuFilter(CpuStages stages) {
        Filter filter = (request, response, chain) -> {
            if (!"POST".equals(((HttpServletRequest) request).getMethod())) {
                chain.doFilter(request, response);
                return;
            }
            CpuStages.begin();
            try {
                chain.doFilter(request, response);
            } finally {
                stages.end(CpuStages.Stage.HTTP);
            }
        };
        FilterRegistrationBean<Filter> registration = new FilterRegistrationBean<>(filter);
        registration.addUrlPatterns("/api/v1/images", "/dicomweb/studies", "/dicomweb/studies/*");
        registration.setName("uploadCpuFilter");
        registration.setOrder(-102); // outside the audit filter (-101) and Spring Security's chain (-100)
        return registration;
    }
}
