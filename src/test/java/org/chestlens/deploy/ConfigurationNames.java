package org.chestlens.deploy;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

import org.chestlens.inference.InferenceProperties;
import org.chestlens.ingest.IngestProperties;

/**
 * The environment variables a deployment file may set, derived from the application's typed
 * configuration (Spring Boot's relaxed binding: {@code chestlens.inference.max-batch-size} is
 * {@code CHESTLENS_INFERENCE_MAXBATCHSIZE} or {@code CHESTLENS_INFERENCE_MAX_BATCH_SIZE}), so a
 * renamed property fails the deployment tests instead of being silently ignored in production.
 */
final class ConfigurationNames {

    private static final Set<String> PLATFORM = Set.of("SPRING_DATASOURCE_URL", "SPRING_DATASOURCE_USERNAME",
            "SPRING_DATASOURCE_PASSWORD", "SERVER_PORT", "JAVA_TOOL_OPTIONS");

    private ConfigurationNames() {
    }

    static boolean isKnown(String variable) {
        return PLATFORM.contains(variable)
                || matches(variable, "CHESTLENS_INFERENCE_", InferenceProperties.class)
                || matches(variable, "CHESTLENS_INGEST_", IngestProperties.class);
    }

    private static boolean matches(String variable, String prefix, Class<? extends Record> properties) {
        if (!variable.startsWith(prefix)) {
            return false;
        }
        Set<String> names = Arrays.stream(properties.getRecordComponents())
                .map(c -> prefix + c.getName().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase())
                .collect(Collectors.toSet());
        return names.contains(variable);
    }
}
