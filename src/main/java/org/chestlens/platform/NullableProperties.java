package org.chestlens.platform;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.media.Schema;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;

/**
 * Says in the contract what the service does: every property that is not required may be null in an
 * answer (Jackson writes absent values as null). OpenAPI 3.1 spells that as a "null" type, and for a
 * reference as anyOf [the reference, null]; springdoc writes neither, so generated clients would
 * reject real answers (the contract lint's example check found a hundred such places).
 */
@Component
class NullableProperties implements OpenApiCustomizer, Ordered {

    @Override
    public void customise(OpenAPI openApi) {
        if (openApi.getComponents() == null || openApi.getComponents().getSchemas() == null) {
            return;
        }
        openApi.getComponents().getSchemas().values().forEach(NullableProperties::nullableUnlessRequired);
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    private static void nullableUnlessRequired(Schema schema) {
        Map<String, Schema> properties = schema.getProperties();
        if (properties == null) {
            return;
        }
        Set<String> required = schema.getRequired() == null ? Set.of() : Set.copyOf(schema.getRequired());
        Map<String, Schema> rewritten = new LinkedHashMap<>();
        properties.forEach((name, property) -> rewritten.put(name, required.contains(name) ? property : nullable(property)));
        schema.setProperties(rewritten);
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    private static Schema nullable(Schema property) {
        if (property.get$ref() != null) {
            Schema wrapper = new Schema<>().anyOf(List.of(new Schema<>().$ref(property.get$ref()),
                    new Schema<>().types(Set.of("null"))));
            wrapper.setDescription(property.getDescription());
            return wrapper;
        }
        if (property.getTypes() != null && !property.getTypes().isEmpty()) {
            property.addType("null");
        }
        // Maps (reader id -> score) may hold null values too.
        if (property.getAdditionalProperties() instanceof Schema values && values.get$ref() == null
                && values.getTypes() != null && !values.getTypes().isEmpty()) {
            values.addType("null");
        }
        return property;
    }

    /** After the other customizers, so schemas they add are covered too. */
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
