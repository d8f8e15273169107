package org.chestlens.platform.security;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springdoc.core.customizers.OperationCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Puts each operation's roles into the published contract ({@code x-required-roles}, read by the
 * test that walks every operation), with the two ways to authenticate and the refusals every
 * protected operation can answer.
 */
@Configuration(proxyBeanMethods = false)
class SecurityContract {

    static final String BEARER = "bearerAuth";
    static final String API_KEY = "apiKey";

    @Bean
    OpenApiCustomizer securitySchemes() {
        return openApi -> {
            Components components = openApi.getComponents() == null ? new Components() : openApi.getComponents();
            components.addSecuritySchemes(BEARER, new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")
                    .bearerFormat("JWT").description("Access token of the hospital's identity provider; roles in the "
                            + "claim chestlens.security.jwt.roles-claim"));
            components.addSecuritySchemes(API_KEY, new SecurityScheme().type(SecurityScheme.Type.APIKEY)
                    .in(SecurityScheme.In.HEADER).name(SecurityConfiguration.API_KEY_HEADER)
                    .description("API key of an integration engine, created by an admin (POST /api/v1/api-keys)"));
            COMMON_HEADERS.forEach((name, description) -> components.addHeaders(name, new Header()
                    .description(description).schema(new Schema<>().types(Set.of("integer")))));
            openApi.setComponents(components);
        };
    }

    @Bean
    OperationCustomizer requiredRoles() {
        return (operation, handler) -> {
            RequiresRole declared = handler.getMethodAnnotation(RequiresRole.class);
            if (declared == null) {
                return operation;
            }
            List<String> roles = Arrays.stream(declared.value()).map(Role::wireName).sorted().toList();
            operation.addExtension("x-required-roles", roles);
            operation.addExtension("x-audit-action", declared.action());
            operation.addSecurityItem(new SecurityRequirement().addList(BEARER));
            operation.addSecurityItem(new SecurityRequirement().addList(API_KEY));
            String roleNote = "Requires one of the roles: " + String.join(", ", roles) + ".";
            operation.setDescription(operation.getDescription() == null ? roleNote
                    : operation.getDescription() + "\n\n" + roleNote);
            ApiResponses responses = operation.getResponses() == null ? new ApiResponses() : operation.getResponses();
            responses.addApiResponse("401", problem("No valid access token or API key"));
            responses.addApiResponse("403", problem("The credential lacks the required role"));
            if (!responses.containsKey("429")) {
                responses.addApiResponse("429", problem("Rate limit of this caller exceeded; retry after the "
                        + "Retry-After header"));
            }
            documentHeaders(responses);
            operation.setResponses(responses);
            return operation;
        };
    }

    /** Response headers every protected operation may send, described once (components.headers). */
    static final Map<String, String> COMMON_HEADERS = Map.of(
            "RateLimit-Limit", "Requests per minute this caller may send",
            "RateLimit-Remaining", "Requests left in the current minute",
            "Retry-After", "Seconds to wait before retrying");

    /**
     * The response headers every protected operation may send, in the contract so that a front end on another
     * origin knows what to read, and the CORS configuration exposes exactly them (CorsContractTest).
     */
    private static void documentHeaders(ApiResponses responses) {
        responses.forEach((status, response) -> {
            if (status.startsWith("2") || status.equals("429")) {
                header(response, "RateLimit-Limit");
                header(response, "RateLimit-Remaining");
            }
            if (status.equals("429") || status.equals("503")) {
                header(response, "Retry-After");
            }
        });
    }

    private static void header(ApiResponse response, String name) {
        if (response.getHeaders() == null || !response.getHeaders().containsKey(name)) {
            response.addHeaderObject(name, new Header().$ref("#/components/headers/" + name));
        }
    }

    private static ApiResponse problem(String description) {
        return new ApiResponse().description(description).content(new Content().addMediaType("application/problem+json",
                new MediaType().schema(new Schema<>().$ref("#/components/schemas/ProblemDetail"))));
    }
}
