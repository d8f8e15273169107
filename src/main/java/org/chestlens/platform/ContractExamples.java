package org.chestlens.platform;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.responses.ApiResponse;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.core.io.ClassPathResource;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Puts real answers into the published contract as examples: openapi-examples.json holds, per
 * operation ("METHOD /path"), a request and the answers by status, captured from a running service
 * by openapi/capture_examples.py. Examples written by hand drift from what the service says; these
 * are checked against their schemas by the contract lint. A binary answer (a PNG) is an example file
 * beside the contract ({@code files}: status, media type, path relative to openapi/), referenced by
 * {@code externalValue}.
 */
@Component
class ContractExamples implements OpenApiCustomizer {

    private record Example(Object request, Map<String, Object> responses, Map<String, Map<String, String>> files) {
    }

    private final Map<String, Example> examples;

    ContractExamples(JsonMapper json) {
        try (InputStream in = new ClassPathResource("openapi-examples.json").getInputStream()) {
            this.examples = json.readValue(in, new TypeReference<Map<String, Example>>() { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void customise(io.swagger.v3.oas.models.OpenAPI openApi) {
        if (openApi.getPaths() == null) {
            return;
        }
        openApi.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, operation) -> {
            Example example = examples.get(method.name() + " " + path);
            if (example != null) {
                apply(example, operation);
            }
        }));
    }

    private static void apply(Example example, Operation operation) {
        if (example.request() != null && operation.getRequestBody() != null) {
            json(operation.getRequestBody().getContent(), example.request());
        }
        if (example.responses() != null && operation.getResponses() != null) {
            example.responses().forEach((status, answer) -> {
                ApiResponse response = operation.getResponses().get(status);
                if (response != null && response.getContent() != null) {
                    response.getContent().forEach((type, media) -> {
                        if (example.files() == null || !example.files().getOrDefault(status, Map.of()).containsKey(type)) {
                            media.setExample(answer);
                        }
                    });
                }
            });
        }
        if (example.files() != null && operation.getResponses() != null) {
            example.files().forEach((status, byType) -> {
                ApiResponse response = operation.getResponses().get(status);
                if (response != null && response.getContent() != null) {
                    byType.forEach((type, file) -> {
                        var media = response.getContent().get(type);
                        if (media != null) {
                            media.addExamples("real", new io.swagger.v3.oas.models.examples.Example()
                                    .summary("A real answer (file beside the contract)").externalValue(file));
                        }
                    });
                }
            });
        }
    }

    private static void json(Content content, Object example) {
        if (content != null) {
            content.forEach((type, media) -> {
                if (type.contains("json")) {
                    media.setExample(example);
                }
            });
        }
    }
}
