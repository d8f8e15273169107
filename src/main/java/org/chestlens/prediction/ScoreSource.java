package org.chestlens.prediction;

/**
 * Where a finding's score comes from when it is compared with an operating point's threshold: a function of a
 * stored prediction. Today the ensemble's class probability; a calibrated probability can be added as another
 * source without changing how thresholds are derived, stored or applied (each configuration records its source).
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

    public static ScoreSource ofId(String id) {
        for (ScoreSource source : values()) {
            if (source.id.equals(id)) {
                return source;
            }
        }
        throw new IllegalArgumentException("Unknown score source " + id);
    }
}
