package org.chestlens.inference;

/**
 * What one forward through every fold returned for a batch.
 *
 * @param logits {@code [fold][image][output]}
 * @param maps {@code [fold][image][output * height * width]}: each fold's class activation maps,
 *             bias excluded, from the same forward; null when the package has none (format 1) or
 *             explanations are switched off
 * @param mapHeight rows of one map (0 without maps)
 * @param mapWidth columns of one map (0 without maps)
 * @param features {@code [fold][image][feature]}: each fold's pooled features (format 3); null when the package
 *                 has none or the out-of-distribution check is off
 */
record FoldOutputs(float[][][] logits, float[][][] maps, int mapHeight, int mapWidth, float[][][] features) {

    static FoldOutputs logitsOnly(float[][][] logits) {
        return new FoldOutputs(logits, null, 0, 0, null);
    }

    /** Image {@code image}'s features, one row per fold. */
    float[][] featuresOf(int image) {
        float[][] rows = new float[features.length][];
        for (int f = 0; f < features.length; f++) {
            rows[f] = features[f][image];
        }
        return rows;
    }
}
