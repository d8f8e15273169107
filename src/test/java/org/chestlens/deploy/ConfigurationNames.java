package org.chestlens.deploy;

import java.util.Set;
import java.util.stream.Collectors;

/**
 * The environment variables a deployment file may set, derived from the application's typed
 * configuration (the configuration processor's metadata, {@link ConfigurationMetadata}:
 * {@code chestlens.inference.max-batch-size} is {@code CHESTLENS_INFERENCE_MAX_BATCH_SIZE}), so a
 * renamed property fails the deployment tests instead of being silently ignored in production.
 */
final class ConfigurationNames {

    private static final Set<String> PLATFORM = Set.of("SPRING_DATASOURCE_URL", "SPRING_DATASOURCE_USERNAME",
            "SPRING_DATASOURCE_PASSWORD", "SERVER_PORT", "JAVA_TOOL_OPTIONS");

    private static final Set<String> APPLICATION = ConfigurationMetadata.read().properties().stream()
            .map(ConfigurationMetadata.Property::environmentVariable)
            .collect(Collectors.toUnmodifiableSet());

    private ConfigurationNames() {
    }

    static boolean isKnown(String variable) {
        return PLATFORM.contains(variable) || APPLICATION.contains(variable);
    }
}
