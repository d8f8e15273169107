package org.chestlens.platform;

import java.util.function.Consumer;

import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.cfg.MutableCoercionConfig;
import tools.jackson.databind.type.LogicalType;

/**
 * Request bodies say what they mean: Jackson by default reads 2.9 as the label 2, 12345 as {@code true} and a
 * number as a string, so a client's mistake is stored as something it did not send. Here those are refused (400
 * invalid-body); a whole number where a decimal is expected stays allowed, as JSON does not tell them apart.
 */
@Configuration(proxyBeanMethods = false)
class StrictJson {

    @Bean
    JsonMapperBuilderCustomizer strictScalars() {
        return builder -> builder
                .withCoercionConfig(LogicalType.Integer,
                        refuse(CoercionInputShape.Float, CoercionInputShape.String, CoercionInputShape.Boolean))
                .withCoercionConfig(LogicalType.Float, refuse(CoercionInputShape.String, CoercionInputShape.Boolean))
                .withCoercionConfig(LogicalType.Boolean,
                        refuse(CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.String))
                .withCoercionConfig(LogicalType.Textual,
                        refuse(CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean))
                .withCoercionConfig(LogicalType.Enum, refuse(CoercionInputShape.Integer));
    }

    private static Consumer<MutableCoercionConfig> refuse(CoercionInputShape... shapes) {
        return config -> {
            for (CoercionInputShape shape : shapes) {
                config.setCoercion(shape, CoercionAction.Fail);
            }
        };
    }
}
