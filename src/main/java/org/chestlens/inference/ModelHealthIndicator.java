package org.chestlens.inference;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Reports the served model; it is reachable only once the model has passed its warm-up (the
 * batchers warm up before the web server starts), and it is DOWN if a batcher's worker thread has stopped.
 */
@Component("model")
class ModelHealthIndicator implements HealthIndicator {

    private final InferenceService inference;

    ModelHealthIndicator(InferenceService inference) {
        this.inference = inference;
    }

    @Override
    public Health health() {
        ModelInfo model = inference.defaultModel();
        Health.Builder health = inference.workersAlive() ? Health.up() : Health.down().withDetail("worker", "stopped");
        return health
                .withDetail("id", model.id())
                .withDetail("version", model.version())
                .withDetail("trained", model.trained())
                .withDetail("device", model.device())
                .withDetail("engine", model.engine() + " " + model.engineVersion())
                .build();
    }
}
