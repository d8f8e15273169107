package org.chestlens.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.chestlens.TestSecurity;
import org.chestlens.WebSliceTest;
import org.chestlens.platform.security.EndpointPolicyCheck;
import org.chestlens.platform.security.Role;
import org.hl7.fhir.r4.model.Bundle;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/** The FHIR results endpoint's media types, problems and role, without database or model. */
@WebSliceTest(FhirResultController.class)
class FhirWebSliceTest {

    private static final HttpHeaders READER = TestSecurity.roles(Role.READER);

    @Autowired
    MockMvc mvc;

    @Autowired
    RequestMappingHandlerMapping handlers;

    @MockitoBean
    FhirResults results;

    @Test
    void everyOperationDemandsItsContractRoles() throws Exception {
        assertThat(EndpointPolicyCheck.verify(mvc, handlers)).containsExactly("GET /api/v1/predictions/{id}/fhir");
    }

    @Test
    void theBundleIsFhirJsonWhetherFhirOrPlainJsonWasAsked() throws Exception {
        UUID id = UUID.randomUUID();
        Bundle bundle = new Bundle();
        when(results.bundle(id)).thenReturn(Optional.of(bundle));
        when(results.json(bundle)).thenReturn("{\"resourceType\":\"Bundle\"}");

        for (String accept : List.of("application/fhir+json", "application/json", "*/*")) {
            mvc.perform(get("/api/v1/predictions/" + id + "/fhir").headers(READER).header(HttpHeaders.ACCEPT, accept))
                    .andExpect(status().isOk())
                    .andExpect(content().contentType("application/fhir+json;charset=UTF-8"))
                    .andExpect(content().json("{\"resourceType\":\"Bundle\"}"));
        }
    }

    @Test
    void anUnknownPredictionIsANotFoundProblemInEitherMediaType() throws Exception {
        UUID unknown = UUID.randomUUID();
        when(results.bundle(unknown)).thenReturn(Optional.empty());
        for (String accept : List.of("application/fhir+json", "application/json")) {
            mvc.perform(get("/api/v1/predictions/" + unknown + "/fhir").headers(READER).header(HttpHeaders.ACCEPT, accept))
                    .andExpect(status().isNotFound())
                    .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                    .andExpect(jsonPath("$.type").value("urn:chestlens:problem:not-found"))
                    .andExpect(jsonPath("$.detail").value("No prediction with id " + unknown + "."));
        }
    }

    @Test
    void notAUuidIsAnInvalidParameter() throws Exception {
        mvc.perform(get("/api/v1/predictions/not-a-uuid/fhir").headers(READER))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                .andExpect(jsonPath("$.type").value("urn:chestlens:problem:invalid-parameter"));
        verifyNoInteractions(results);
    }
}
