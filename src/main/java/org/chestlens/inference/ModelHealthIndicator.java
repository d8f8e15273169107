package org.chestlens.inference;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/** Reports the served model; it exists only once the model has loaded and passed its warm-up. */
@Component("model")
class ModelHealthIndicator implements HealthIndicator {

    private final InferenceService inference;

    ModelHealthIndicator(InferenceService inference) {
        this.inference = inference;
    }

    @Override
    public Health health() {
        ModelInfo model = inference.defaultModel();
        return Health.up()
                .withDetail("id", model.id())
                .withDetail("version", model.version())
                .withDetail("trained", model.trained())
                .withDetail("device", model.device())
                .build();
    }
}
