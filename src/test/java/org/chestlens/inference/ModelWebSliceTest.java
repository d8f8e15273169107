package org.chestlens.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.util.List;
import java.util.Optional;

import org.chestlens.TestSecurity;
import org.chestlens.WebSliceTest;
import org.chestlens.platform.security.EndpointPolicyCheck;
import org.chestlens.platform.security.Role;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/** The model catalogue's mapping and roles, without loading a model. */
@WebSliceTest(ModelController.class)
class ModelWebSliceTest {

    @Autowired
    MockMvc mvc;

    @Autowired
    RequestMappingHandlerMapping handlers;

    @MockitoBean
    InferenceService inference;

    @Test
    void everyOperationDemandsItsContractRoles() throws Exception {
        assertThat(EndpointPolicyCheck.verify(mvc, handlers)).containsExactlyInAnyOrder(
                "GET /api/v1/models", "GET /api/v1/models/{id}");
    }

    @Test
    void modelsAreListedAndAnUnknownOneIsANotFoundProblem() throws Exception {
        ModelInfo model = new ModelInfo("m", "1", true, true, null, "densenet121", null, List.of(), null, List.of(),
                "cpu()", "onnxruntime", "1.21.1", null, null, null, null);
        when(inference.models()).thenReturn(List.of(model));
        when(inference.model("m")).thenReturn(Optional.of(model));
        when(inference.model("nope")).thenReturn(Optional.empty());

        mvc.perform(get("/api/v1/models").headers(TestSecurity.roles(Role.READER)))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$[0].id").value("m"))
                .andExpect(jsonPath("$[0].isDefault").value(true))
                .andExpect(jsonPath("$[0].engine").value("onnxruntime"))
                .andExpect(jsonPath("$[0].notice").doesNotExist());
        mvc.perform(get("/api/v1/models/m").headers(TestSecurity.roles(Role.ANALYST)))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.architecture").value("densenet121"));
        mvc.perform(get("/api/v1/models/nope").headers(TestSecurity.roles(Role.ADMIN)))
                .andExpect(status().isNotFound())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                .andExpect(jsonPath("$.type").value("urn:chestlens:problem:not-found"))
                .andExpect(jsonPath("$.title").value("Model not found"));
    }
}
