package org.chestlens.prediction;

import java.util.Optional;
import java.util.UUID;

/**
 * Where a finding's score comes from when it is compared with an operating point's threshold: a function of a
 * stored prediction's class probabilities. A configuration derived while a calibration was active records
 * {@link #calibrated(UUID)} as its source and is applied to the probabilities mapped through that same
 * calibration (see {@link OperatingPoints}); the score is then the calibrated class probability.
 */
public enum ScoreSource {

    /** The ensemble's probability of the finding's class, as stored with the prediction. */
    PROBABILITIES("probabilities") {
        @Override
        public double score(ChestClass finding, double[] probabilities) {
            return probabilities[finding.index()];
        }
    };

    private final String id;

    ScoreSource(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** The finding's score for a prediction with these class probabilities (CVX0..CVX3). */
    public abstract double score(ChestClass finding, double[] probabilities);

    /** The stored source id of a configuration derived on the probabilities of this calibration. */
    public static String calibrated(UUID calibrationId) {
        return CALIBRATED_PREFIX + calibrationId;
    }

    /** The calibration a stored source id names; empty for the raw probabilities. */
    public static Optional<UUID> calibrationOf(String storedId) {
        return storedId.startsWith(CALIBRATED_PREFIX)
                ? Optional.of(UUID.fromString(storedId.substring(CALIBRATED_PREFIX.length())))
                : Optional.empty();
    }

    private static final String CALIBRATED_PREFIX = "calibrated-probabilities:";

    public static ScoreSource ofId(String id) {
        if (id.startsWith(CALIBRATED_PREFIX)) {
            return PROBABILITIES;
        }
        for (ScoreSource source : values()) {
            if (source.id.equals(id)) {
                return source;
            }
        }
        throw new IllegalArgumentException("Unknown score source " + id);
    }
}
