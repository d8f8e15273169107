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
 */
record FoldOutputs(float[][][] logits, float[][][] maps, int mapHeight, int mapWidth) {

    static FoldOutputs logitsOnly(float[][][] logits) {
        return new FoldOutputs(logits, null, 0, 0);
    }
}
