package org.chestlens.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.chestlens.TestSecurity;
import org.chestlens.WebSliceTest;
import org.chestlens.platform.security.EndpointPolicyCheck;
import org.chestlens.platform.security.Role;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/** Evaluation and error analysis: mapping, binding, validation and roles, without database or model. */
@WebSliceTest({EvaluationController.class, ErrorAnalysisController.class, CalibrationController.class})
class EvaluationWebSliceTest {

    private static final String PROBLEM = "application/problem+json";
    private static final HttpHeaders ANALYST = TestSecurity.roles(Role.ANALYST);

    @Autowired
    MockMvc mvc;

    @Autowired
    RequestMappingHandlerMapping handlers;

    @MockitoBean
    EvaluationService evaluations;

    @MockitoBean
    ErrorAnalysisService analyses;

    @MockitoBean
    CalibrationService calibrations;

    @Test
    void everyOperationDemandsItsContractRoles() throws Exception {
        assertThat(EndpointPolicyCheck.verify(mvc, handlers)).containsExactlyInAnyOrder(
                "GET /api/v1/evaluations", "POST /api/v1/error-analyses", "GET /api/v1/error-analyses",
                "GET /api/v1/error-analyses/features", "GET /api/v1/error-analyses/{id}",
                "PUT /api/v1/error-analyses/{id}/active", "DELETE /api/v1/error-analyses/{id}/active",
                "POST /api/v1/calibrations", "GET /api/v1/calibrations", "GET /api/v1/calibrations/{id}",
                "PUT /api/v1/calibrations/{id}/active", "DELETE /api/v1/calibrations/{id}/active");
    }

    @Test
    void evaluationBindsTheCohortAndBootstrap() throws Exception {
        mvc.perform(get("/api/v1/evaluations").headers(ANALYST).param("modelId", "m").param("modelVersion", "2")
                        .param("receivedFrom", "2024-01-01T00:00:00Z").param("receivedTo", "2024-02-01T00:00:00Z")
                        .param("modality", "DX").param("viewPosition", "PA").param("manufacturer", "ACME")
                        .param("manufacturerModelName", "X1").param("institutionName", "General")
                        .param("patientSex", "F").param("bootstrap", "0").param("seed", "7"))
                .andExpect(status().isOk());
        verify(evaluations).evaluate(new Cohort("m", "2", Instant.parse("2024-01-01T00:00:00Z"),
                Instant.parse("2024-02-01T00:00:00Z"), "DX", "PA", "ACME", "X1", "General", "F"), 0, 7L);

        mvc.perform(get("/api/v1/evaluations?modelId=m").headers(ANALYST)).andExpect(status().isOk());
        verify(evaluations).evaluate(new Cohort("m", null, null, null, null, null, null, null, null, null), 1000,
                20210714L);
    }

    @Test
    void badEvaluationParametersAreProblemsThatNeverReachTheService() throws Exception {
        for (String query : List.of("", "?modelId=m&bootstrap=-1", "?modelId=m&bootstrap=10001",
                "?modelId=m&receivedFrom=yesterday", "?modelId=m&seed=x")) {
            mvc.perform(get("/api/v1/evaluations" + query).headers(ANALYST))
                    .andExpect(status().isBadRequest())
                    .andExpect(content().contentTypeCompatibleWith(PROBLEM))
                    .andExpect(jsonPath("$.status").value(400));
        }
        mvc.perform(get("/api/v1/evaluations?modelId=m&receivedTo=2024-02-30").headers(ANALYST))
                .andExpect(jsonPath("$.type").value("urn:chestlens:problem:invalid-parameter"))
                .andExpect(jsonPath("$.detail").value("Parameter 'receivedTo' has an invalid value."));
        verifyNoInteractions(evaluations);
    }

    @Test
    void fittingAnswers201WithLocation() throws Exception {
        UUID id = UUID.randomUUID();
        when(analyses.run(any())).thenReturn(view(id));

        mvc.perform(post("/api/v1/error-analyses").headers(ANALYST).contentType(MediaType.APPLICATION_JSON)
                        .content("""
                                {"cohort": {"modelId": "m"}, "features": ["width", "manufacturer"], "maxDepth": 2,
                                 "heatMap": ["width"]}"""))
                .andExpect(status().isCreated())
                .andExpect(jsonPath("$.id").value(id.toString()))
                .andExpect(header().string(HttpHeaders.LOCATION, "/api/v1/error-analyses/" + id));
        verify(analyses).run(new ErrorAnalysisRequest(new Cohort("m", null, null, null, null, null, null, null, null,
                null), List.of("width", "manufacturer"), 2, null, null, null, List.of("width")));
    }

    @Test
    void invalidFitRequestsAreProblemsThatNeverReachTheService() throws Exception {
        for (String body : List.of("{\"features\": [\"width\"]}",
                "{\"cohort\": {\"modelId\": \"m\"}, \"features\": []}",
                "{\"cohort\": {\"modelId\": \"m\"}, \"features\": [\"width\"], \"maxDepth\": 11}",
                "{\"cohort\": {\"modelId\": \"m\"}, \"features\": [\"width\"], \"maxLeaves\": 1}",
                "{\"cohort\": {\"modelId\": \"m\"}, \"features\": [\"width\"], \"minSplitZ\": 10.5}",
                "{\"cohort\": {\"modelId\": \"m\"}, \"features\": [\"width\"], \"heatMap\": [\"a\", \"b\", \"c\"]}",
                "{\"cohort\": {\"modelId\": \"m\"}, \"features\": [null]}",
                "{\"cohort\": ", "[]")) {
            mvc.perform(post("/api/v1/error-analyses").headers(ANALYST).contentType(MediaType.APPLICATION_JSON)
                            .content(body))
                    .andExpect(status().isBadRequest())
                    .andExpect(content().contentTypeCompatibleWith(PROBLEM))
                    .andExpect(jsonPath("$.status").value(400));
        }
        verifyNoInteractions(analyses);
    }

    @Test
    void invalidCalibrationRequestsAreProblemsThatNeverReachTheServiceAndActivationMapsToOnAndOff() throws Exception {
        for (String body : List.of("{}", "{\"cohort\": {\"modelId\": \"m\"}, \"method\": \"isotonic\"}",
                "{\"cohort\": {\"modelId\": \"m\"}, \"folds\": 1}",
                "{\"cohort\": {\"modelId\": \"m\"}, \"folds\": 21}",
                "{\"cohort\": {\"modelId\": \"m\"}, \"bootstrap\": -1}", "[]")) {
            mvc.perform(post("/api/v1/calibrations").headers(ANALYST).contentType(MediaType.APPLICATION_JSON)
                            .content(body))
                    .andExpect(status().isBadRequest())
                    .andExpect(content().contentTypeCompatibleWith(PROBLEM));
        }
        verifyNoInteractions(calibrations);
        UUID id = UUID.randomUUID();
        mvc.perform(put("/api/v1/calibrations/" + id + "/active").headers(ANALYST)).andExpect(status().isOk());
        mvc.perform(delete("/api/v1/calibrations/" + id + "/active").headers(ANALYST)).andExpect(status().isOk());
        verify(calibrations).activate(id, true);
        verify(calibrations).activate(id, false);
        when(calibrations.find(id)).thenReturn(Optional.empty());
        mvc.perform(get("/api/v1/calibrations/" + id).headers(ANALYST))
                .andExpect(status().isNotFound())
                .andExpect(jsonPath("$.title").value("Calibration not found"));
    }

    @Test
    void listingValidatesItsLimitAndNamesTheRun() throws Exception {
        when(analyses.list(any(), anyInt(), any())).thenReturn(new ErrorAnalysisPage(List.of(), null));
        mvc.perform(get("/api/v1/error-analyses?modelId=m&limit=100&cursor=c").headers(ANALYST))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.items").isEmpty());
        verify(analyses).list("m", 100, "c");
        for (String limit : List.of("0", "101", "many")) {
            mvc.perform(get("/api/v1/error-analyses?limit=" + limit).headers(ANALYST))
                    .andExpect(status().isBadRequest())
                    .andExpect(content().contentTypeCompatibleWith(PROBLEM));
        }

        mvc.perform(get("/api/v1/error-analyses/features").headers(ANALYST))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$[0]").value(Features.names().get(0)));

        UUID unknown = UUID.randomUUID();
        when(analyses.find(unknown)).thenReturn(Optional.empty());
        mvc.perform(get("/api/v1/error-analyses/" + unknown).headers(ANALYST))
                .andExpect(status().isNotFound())
                .andExpect(jsonPath("$.type").value("urn:chestlens:problem:not-found"))
                .andExpect(jsonPath("$.title").value("Error analysis not found"));
        mvc.perform(get("/api/v1/error-analyses/not-a-uuid").headers(ANALYST))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.type").value("urn:chestlens:problem:invalid-parameter"));
        mvc.perform(put("/api/v1/error-analyses/not-a-uuid/active").headers(ANALYST))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.type").value("urn:chestlens:problem:invalid-parameter"));
        verify(analyses).find(unknown);
        verify(analyses, never()).activate(any(), anyBoolean());
    }

    @Test
    void activationMapsPutAndDeleteToOnAndOff() throws Exception {
        UUID id = UUID.randomUUID();
        when(analyses.activate(any(), anyBoolean())).thenReturn(view(id));
        mvc.perform(put("/api/v1/error-analyses/" + id + "/active").headers(ANALYST)).andExpect(status().isOk());
        mvc.perform(delete("/api/v1/error-analyses/" + id + "/active").headers(ANALYST)).andExpect(status().isOk());
        verify(analyses).activate(id, true);
        verify(analyses).activate(id, false);
    }

    private static ErrorAnalysisView view(UUID id) {
        return new ErrorAnalysisView(id, null, List.of(), ErrorTree.Parameters.DEFAULTS, false,
                Instant.parse("2024-01-01T00:00:00Z"), 0, 0, 0.0, List.of(), null);
    }
}
