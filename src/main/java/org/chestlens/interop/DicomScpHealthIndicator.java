package org.chestlens.interop;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/** The C-STORE receiver: DOWN when it is enabled but not listening; details say where it listens. */
@Component("dicomScp")
class DicomScpHealthIndicator implements HealthIndicator {

    private final StorageScp scp;

    DicomScpHealthIndicator(StorageScp scp) {
        this.scp = scp;
    }

    @Override
    public Health health() {
        StorageScp.State state = scp.state();
        if (!state.enabled()) {
            return Health.up().withDetail("enabled", false).build();
        }
        return (state.listening() ? Health.up() : Health.down())
                .withDetail("enabled", true)
                .withDetail("port", state.port())
                .withDetail("aeTitle", state.aeTitle())
                .withDetail("tls", state.tls())
                .withDetail("activeAssociations", state.activeAssociations())
                .withDetail("maxAssociations", state.maxAssociations())
                .withDetail("instancesReceived", state.instancesReceived())
                .build();
    }
}
