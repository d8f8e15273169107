package org.chestlens.platform.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.request;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;

import org.chestlens.TestSecurity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * {@link AllOperationsSecurityTest}'s walk inside a web slice: every operation of the published contract
 * that the slice's controllers serve answers 401 without credentials, 403 with every role but the
 * required ones, and something else with each required role. The roles come from the contract, not from
 * the annotations the filter chain reads, so a changed {@link RequiresRole} fails here before it fails
 * the full-context walk.
 */
public final class EndpointPolicyCheck {

    private EndpointPolicyCheck() {
    }

    /** @return the operations checked, as {@code METHOD path} */
    public static List<String> verify(MockMvc mvc, RequestMappingHandlerMapping handlers) throws Exception {
        List<AllOperationsSecurityTest.Operation> served = AllOperationsSecurityTest.operations().stream()
                .filter(operation -> served(handlers, operation)).toList();
        List<String> checked = new ArrayList<>();
        for (AllOperationsSecurityTest.Operation operation : served) {
            assertThat(operation.roles()).as(operation + " declares x-required-roles").isNotEmpty();
            String path = operation.path().replaceAll("\\{[^}]+}", UUID.randomUUID().toString());

            MockHttpServletResponse none = send(mvc, operation.method(), operation, path, new HttpHeaders());
            assertThat(none.getStatus()).as(operation + " without credentials").isEqualTo(401);
            assertThat(none.getContentType()).as(operation + " 401 body").startsWith("application/problem+json");
            assertThat(none.getHeaders(HttpHeaders.WWW_AUTHENTICATE)).as(operation + " WWW-Authenticate")
                    .contains("ApiKey header=\"X-API-Key\"");

            EnumSet<Role> others = EnumSet.complementOf(EnumSet.copyOf(operation.roles()));
            if (!others.isEmpty()) {
                HttpHeaders lacking = TestSecurity.roles(others.toArray(Role[]::new));
                MockHttpServletResponse refused = send(mvc, operation.method(), operation, path, lacking);
                assertThat(refused.getStatus()).as(operation + " with roles " + others).isEqualTo(403);
                assertThat(refused.getContentType()).as(operation + " 403 body").startsWith("application/problem+json");
                assertThat(refused.getContentAsString()).as(operation + " 403 body")
                        .contains("urn:chestlens:problem:forbidden");
                if (operation.method() == HttpMethod.GET) {
                    // HEAD runs the GET handler: it must demand the same roles.
                    assertThat(send(mvc, HttpMethod.HEAD, operation, path, lacking).getStatus())
                            .as("HEAD " + path + " with roles " + others).isEqualTo(403);
                }
            }
            for (Role role : operation.roles()) {
                MockHttpServletResponse allowed = send(mvc, operation.method(), operation, path, TestSecurity.roles(role));
                assertThat(allowed.getStatus()).as(operation + " with role " + role).isNotIn(401, 403);
            }
            if (operation.method() == HttpMethod.GET) {
                assertThat(send(mvc, HttpMethod.HEAD, operation, path, new HttpHeaders()).getStatus())
                        .as("HEAD " + path).isEqualTo(401);
            }
            checked.add(operation.toString());
        }
        return checked;
    }

    private static boolean served(RequestMappingHandlerMapping handlers, AllOperationsSecurityTest.Operation operation) {
        for (RequestMappingInfo info : handlers.getHandlerMethods().keySet()) {
            boolean method = info.getMethodsCondition().getMethods().isEmpty() || info.getMethodsCondition()
                    .getMethods().stream().anyMatch(m -> m.name().equals(operation.method().name()));
            if (method && info.getPatternValues().contains(operation.path())) {
                return true;
            }
        }
        return false;
    }

    /** The same deliberately unusable bodies as the full-context walk: nothing the endpoint could act on. */
    private static MockHttpServletResponse send(MockMvc mvc, HttpMethod method, AllOperationsSecurityTest.Operation operation,
                                                String path, HttpHeaders credentials) throws Exception {
        MockHttpServletRequestBuilder request = request(method, path).headers(credentials);
        boolean hasBody = method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.PATCH;
        if (hasBody && operation.contentType() != null) {
            MediaType type = MediaType.parseMediaType(operation.contentType());
            if (type.isCompatibleWith(MediaType.MULTIPART_FORM_DATA)) {
                request.contentType("multipart/form-data; boundary=empty").content("--empty--\r\n");
            } else {
                request.contentType(type).content(MediaType.APPLICATION_JSON.includes(type) ? "[]" : "");
            }
        }
        return mvc.perform(request).andReturn().getResponse();
    }
}
