package org.chestlens.interop;

import ca.uhn.fhir.context.FhirContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class FhirConfiguration {

    /** Building a FhirContext scans the R4 model (about a second); it is thread-safe, so one is shared. */
    @Bean
    FhirContext fhirContext() {
        return FhirContext.forR4Cached();
    }
}
