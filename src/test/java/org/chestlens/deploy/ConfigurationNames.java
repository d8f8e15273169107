package org.chestlens.deploy;

import java.lang.reflect.RecordComponent;
import java.util.HashSet;
import java.util.Set;

import org.chestlens.inference.InferenceProperties;
import org.chestlens.ingest.IngestProperties;
import org.chestlens.platform.security.SecurityProperties;

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
                || matches(variable, "CHESTLENS_INGEST_", IngestProperties.class)
                || matches(variable, "CHESTLENS_SECURITY_", SecurityProperties.class);
    }

    private static boolean matches(String variable, String prefix, Class<? extends Record> properties) {
        return variable.startsWith(prefix) && names(prefix, properties).contains(variable);
    }

    /** Every setting of the record, nested records (chestlens.security.jwt.issuer-uri) included. */
    private static Set<String> names(String prefix, Class<?> properties) {
        Set<String> names = new HashSet<>();
        for (RecordComponent component : properties.getRecordComponents()) {
            String name = prefix + component.getName().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase();
            if (component.getType().isRecord()) {
                names.addAll(names(name + "_", component.getType()));
            } else {
                names.add(name);
            }
        }
        return names;
    }
}
