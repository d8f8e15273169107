package org.chestlens.interop.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.patch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.time.Instant;
import java.util.List;
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

/** The webhook subscription API's mapping, limits and role, without database or dispatcher. */
@WebSliceTest(WebhookController.class)
class WebhookWebSliceTest {

    private static final HttpHeaders ADMIN = TestSecurity.roles(Role.ADMIN);

    @Autowired
    MockMvc mvc;

    @Autowired
    RequestMappingHandlerMapping handlers;

    @MockitoBean
    WebhookSubscriptions subscriptions;

    @Test
    void everyOperationDemandsItsContractRoles() throws Exception {
        assertThat(EndpointPolicyCheck.verify(mvc, handlers)).containsExactlyInAnyOrder(
                "POST /api/v1/webhooks", "GET /api/v1/webhooks", "GET /api/v1/webhooks/{id}",
                "PATCH /api/v1/webhooks/{id}", "DELETE /api/v1/webhooks/{id}", "GET /api/v1/webhooks/{id}/deliveries");
    }

    @Test
    void subscribingAnswers201WithLocationAndLeavesAMissingBodyToTheService() throws Exception {
        UUID id = UUID.randomUUID();
        when(subscriptions.subscribe(any())).thenReturn(new WebhookSubscriptionView(id, "https://ehr.example/hooks",
                List.of("prediction.completed"), null, true, Instant.parse("2024-01-01T00:00:00Z"), "whsec_x"));

        mvc.perform(post("/api/v1/webhooks").headers(ADMIN).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"url\": \"https://ehr.example/hooks\"}"))
                .andExpect(status().isCreated())
                .andExpect(header().string(HttpHeaders.LOCATION, "/api/v1/webhooks/" + id))
                .andExpect(jsonPath("$.secret").value("whsec_x"));
        verify(subscriptions).subscribe(new WebhookSubscriptionRequest("https://ehr.example/hooks", null, null, null));

        mvc.perform(post("/api/v1/webhooks").headers(ADMIN).contentType(MediaType.APPLICATION_JSON))
                .andExpect(status().isCreated());
        verify(subscriptions).subscribe(null);
    }

    @Test
    void limitsAndIdsAreValidatedBeforeTheService() throws Exception {
        String id = UUID.randomUUID().toString();
        for (String path : List.of("/api/v1/webhooks?limit=0", "/api/v1/webhooks?limit=501",
                "/api/v1/webhooks/" + id + "/deliveries?limit=0", "/api/v1/webhooks/" + id + "/deliveries?limit=201")) {
            mvc.perform(get(path).headers(ADMIN))
                    .andExpect(status().isBadRequest())
                    .andExpect(content().contentTypeCompatibleWith("application/problem+json"));
        }
        for (var request : List.of(get("/api/v1/webhooks/nope"), delete("/api/v1/webhooks/nope"),
                get("/api/v1/webhooks/nope/deliveries"),
                patch("/api/v1/webhooks/nope").contentType(MediaType.APPLICATION_JSON).content("{}"))) {
            mvc.perform(request.headers(ADMIN))
                    .andExpect(status().isBadRequest())
                    .andExpect(jsonPath("$.type").value("urn:chestlens:problem:invalid-parameter"));
        }
        verifyNoInteractions(subscriptions);

        when(subscriptions.list(anyInt(), any())).thenReturn(new WebhookPages.Subscriptions(List.of(), null));
        mvc.perform(get("/api/v1/webhooks?limit=500&cursor=c").headers(ADMIN)).andExpect(status().isOk());
        verify(subscriptions).list(500, "c");
        mvc.perform(get("/api/v1/webhooks/" + id + "/deliveries").headers(ADMIN)).andExpect(status().isOk());
        verify(subscriptions).deliveries(UUID.fromString(id), 50, null);
    }

    @Test
    void deletingAnswers204() throws Exception {
        UUID id = UUID.randomUUID();
        mvc.perform(delete("/api/v1/webhooks/" + id).headers(ADMIN)).andExpect(status().isNoContent());
        verify(subscriptions).delete(id);
    }
}
