package org.chestlens.prediction;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How long pixels derived from an upload are kept. The upload itself is never kept.
 *
 * @param modelView how long the model's view of an image (the pre-processed 224 x 224 input it scored,
 *                  as an 8-bit PNG) is kept after its latest upload, for heat maps and review; 0 keeps none
 * @param purgeInterval how often each replica deletes the expired model views (one idempotent DELETE, so
 *                      replicas need no coordination)
 */
@ConfigurationProperties("chestlens.retention")
public record RetentionProperties(
        @DefaultValue("30d") Duration modelView,
        @DefaultValue("1h") Duration purgeInterval) {

    boolean keepsModelView() {
        return !modelView.isZero() && !modelView.isNegative();
    }
}
