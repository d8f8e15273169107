package org.chestlens.prediction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
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
import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.security.EndpointPolicyCheck;
import org.chestlens.platform.security.Role;
import org.chestlens.platform.security.WebSliceSecurity;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpStatus;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/** The prediction read API's mapping, parameter validation and roles, without database or model. */
@WebSliceTest(PredictionController.class)
class PredictionWebSliceTest {

    private static final String PROBLEM = "application/problem+json";

    @Autowired
    MockMvc mvc;

    @Autowired
    RequestMappingHandlerMapping handlers;

    @MockitoBean
    PredictionStore store;

    @Test
    void everyOperationDemandsItsContractRoles() throws Exception {
        assertThat(EndpointPolicyCheck.verify(mvc, handlers)).containsExactlyInAnyOrder(
                "GET /api/v1/images/{id}", "GET /api/v1/predictions/{id}", "GET /api/v1/predictions");
    }

    @Test
    void searchBindsEveryFilter() throws Exception {
        when(store.search(any())).thenReturn(new PredictionPage(List.of(), null));

        mvc.perform(get("/api/v1/predictions").headers(TestSecurity.roles(Role.READER))
                        .param("predictedClass", "CVX1").param("probabilityOf", "CVX0")
                        .param("minProbability", "0.25").param("maxProbability", "0.9")
                        .param("createdFrom", "2024-01-01T00:00:00Z").param("createdTo", "2024-02-01T00:00:00Z")
                        .param("modelId", "m").param("priority", "stat").param("limit", "500").param("cursor", "c"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.items").isEmpty())
                .andExpect(jsonPath("$.nextCursor").doesNotExist());

        ArgumentCaptor<PredictionQuery> query = ArgumentCaptor.forClass(PredictionQuery.class);
        verify(store).search(query.capture());
        assertThat(query.getValue()).isEqualTo(new PredictionQuery(ChestClass.CVX1, ChestClass.CVX0, 0.25, 0.9,
                Instant.parse("2024-01-01T00:00:00Z"), Instant.parse("2024-02-01T00:00:00Z"), "m", null, null, null, Priority.STAT, 500, "c"));
    }

    @Test
    void searchDefaultsToFiftyNewestWithoutFilters() throws Exception {
        when(store.search(any())).thenReturn(new PredictionPage(List.of(), "next"));

        mvc.perform(get("/api/v1/predictions").headers(TestSecurity.roles(Role.READER)))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.nextCursor").value("next"));

        verify(store).search(new PredictionQuery(null, null, null, null, null, null, null, null, null, null, null, 50, null));
    }

    @Test
    void badQueryParametersAreProblemsThatNeverReachTheStore() throws Exception {
        for (String query : List.of("predictedClass=CVX9", "probabilityOf=cvx", "createdFrom=yesterday",
                "createdTo=2024-13-01T00:00:00Z", "limit=abc")) {
            mvc.perform(get("/api/v1/predictions?" + query).headers(TestSecurity.roles(Role.READER)))
                    .andExpect(status().isBadRequest())
                    .andExpect(content().contentTypeCompatibleWith(PROBLEM))
                    .andExpect(jsonPath("$.type").value("urn:chestlens:problem:invalid-parameter"))
                    .andExpect(jsonPath("$.title").value("Invalid parameter"))
                    .andExpect(jsonPath("$.status").value(400));
        }
        for (String query : List.of("limit=0", "limit=501", "minProbability=-0.1", "maxProbability=1.5",
                "priority=urgent", "priority=STAT")) {
            mvc.perform(get("/api/v1/predictions?" + query).headers(TestSecurity.roles(Role.READER)))
                    .andExpect(status().isBadRequest())
                    .andExpect(content().contentTypeCompatibleWith(PROBLEM))
                    .andExpect(jsonPath("$.status").value(400));
        }
        verifyNoInteractions(store);
    }

    @Test
    void notAUuidIsAnInvalidParameterAndAnUnknownIdANotFoundProblem() throws Exception {
        mvc.perform(get("/api/v1/images/abc").headers(TestSecurity.roles(Role.READER)))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith(PROBLEM))
                .andExpect(jsonPath("$.type").value("urn:chestlens:problem:invalid-parameter"))
                .andExpect(jsonPath("$.detail").value("Parameter 'id' has an invalid value."));
        mvc.perform(get("/api/v1/predictions/abc").headers(TestSecurity.roles(Role.READER)))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.type").value("urn:chestlens:problem:invalid-parameter"));
        verifyNoInteractions(store);

        UUID unknown = UUID.randomUUID();
        when(store.image(unknown)).thenReturn(Optional.empty());
        mvc.perform(get("/api/v1/images/" + unknown).headers(TestSecurity.roles(Role.SUBMITTER)))
                .andExpect(status().isNotFound())
                .andExpect(content().contentTypeCompatibleWith(PROBLEM))
                .andExpect(jsonPath("$.type").value("urn:chestlens:problem:not-found"))
                .andExpect(jsonPath("$.title").value("Image not found"))
                .andExpect(jsonPath("$.status").value(404))
                .andExpect(jsonPath("$.detail").value("No image with id " + unknown + "."))
                .andExpect(jsonPath("$.instance").value("/api/v1/images/" + unknown));
    }

    @Test
    void aProblemTheStoreRaisesKeepsItsTypeAndStatus() throws Exception {
        when(store.search(any())).thenThrow(new ApiProblem(HttpStatus.BAD_REQUEST, "invalid-cursor",
                "Invalid cursor", "The cursor is not one this service issued."));

        mvc.perform(get("/api/v1/predictions?cursor=not-a-cursor").headers(TestSecurity.roles(Role.READER)))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith(PROBLEM))
                .andExpect(jsonPath("$.type").value("urn:chestlens:problem:invalid-cursor"))
                .andExpect(jsonPath("$.title").value("Invalid cursor"))
                .andExpect(jsonPath("$.instance").value("/api/v1/predictions"));
    }

    @Test
    void anUnexpectedFailureIsA500ThatTellsNothingInternal() throws Exception {
        when(store.search(any())).thenThrow(new IllegalStateException("connection to db-7.internal refused"));

        mvc.perform(get("/api/v1/predictions").headers(TestSecurity.roles(Role.READER)))
                .andExpect(status().isInternalServerError())
                .andExpect(content().contentTypeCompatibleWith(PROBLEM))
                .andExpect(jsonPath("$.detail").value("An internal error occurred; it has been logged."))
                .andExpect(content().string(org.hamcrest.Matchers.not(org.hamcrest.Matchers.containsString("db-7"))));
    }

    @Test
    void apiKeysAreCheckedThroughTheFilterChain() throws Exception {
        when(store.search(any())).thenReturn(new PredictionPage(List.of(), null));

        mvc.perform(get("/api/v1/predictions").headers(TestSecurity.apiKey(WebSliceSecurity.READER_KEY)))
                .andExpect(status().isOk())
                .andExpect(header().exists("RateLimit-Limit"));
        for (String refused : List.of(WebSliceSecurity.REVOKED_KEY, "clk_unknown", "not-even-a-key")) {
            mvc.perform(get("/api/v1/predictions").headers(TestSecurity.apiKey(refused)))
                    .andExpect(status().isUnauthorized())
                    .andExpect(content().contentTypeCompatibleWith(PROBLEM))
                    .andExpect(jsonPath("$.type").value("urn:chestlens:problem:unauthorized"))
                    .andExpect(jsonPath("$.detail").value("The API key is unknown, expired or revoked."));
        }
    }

    @Test
    void tokensOfAnotherIssuerOrWithoutExpiryAreRefused() throws Exception {
        for (String token : List.of(
                TestSecurity.token("mallory", "https://idp.other.invalid", Instant.now().plusSeconds(600), Role.READER),
                TestSecurity.token("mallory", TestSecurity.ISSUER, null, Role.READER),
                TestSecurity.token("mallory", TestSecurity.ISSUER, Instant.now().minusSeconds(600), Role.READER))) {
            mvc.perform(get("/api/v1/predictions").headers(TestSecurity.bearer(token)))
                    .andExpect(status().isUnauthorized())
                    .andExpect(jsonPath("$.detail")
                            .value("The access token is invalid, expired or not accepted by this service."));
        }
        verifyNoInteractions(store);
    }
}
