package org.chestlens.inference;

/**
 * Scores for the three yes/no questions of the radiological decision hierarchy. A conditional
 * score is {@code null} when its condition has zero probability: it is undefined, not zero.
 *
 * @param cvx03vs12 P(COVID-19 features present) = p1 + p2, always defined
 * @param cvx0vs3 P(other abnormality | no COVID-19 features) = p3 / (p0 + p3)
 * @param cvx1vs2 P(indeterminate | COVID-19 features) = p2 / (p1 + p2)
 */
record SubTaskScores(double cvx03vs12, Double cvx0vs3, Double cvx1vs2) {

    public static SubTaskScores fromClassProbabilities(double[] p) {
        return new SubTaskScores(p[1] + p[2], ratio(p[3], p[0] + p[3]), ratio(p[2], p[1] + p[2]));
    }

    private static Double ratio(double numerator, double denominator) {
        return denominator == 0.0 ? null : numerator / denominator;
    }
}
