package org.chestlens.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.chestlens.prediction.ChestClass;
import org.junit.jupiter.api.Test;

/** docs/innereye.md §2 and §4: the golden vectors from InnerEye's own tests. */
class HierarchyMathsTest {

    private static final double[][] GOLDEN_PROBABILITIES = {
            {0.7, 0.1, 0.1, 0.1},
            {0.1, 0.7, 0.1, 0.1},
            {0.7, 0.1, 0.1, 0.1},
            {0.0, 1.0, 0.0, 0.0},
            {0.0, 0.0, 1.0, 0.0},
            {0.0, 1.0, 0.0, 0.0}};
    private static final int[] GOLDEN_TRUE_CLASS = {0, 1, 2, 3, 2, 1};

    @Test
    void subTaskScoresFollowTheHierarchy() {
        SubTaskScores scores = SubTaskScores.fromClassProbabilities(new double[] {0.1, 0.2, 0.3, 0.4});
        assertThat(scores.cvx03vs12()).isCloseTo(0.5, within(1e-12));
        assertThat(scores.cvx0vs3()).isCloseTo(0.4 / 0.5, within(1e-12));
        assertThat(scores.cvx1vs2()).isCloseTo(0.3 / 0.5, within(1e-12));
    }

    @Test
    void aZeroDenominatorIsUndefinedNotZero() {
        SubTaskScores image4 = SubTaskScores.fromClassProbabilities(GOLDEN_PROBABILITIES[3]);
        assertThat(image4.cvx0vs3()).isNull();
        assertThat(image4.cvx1vs2()).isEqualTo(0.0);
        SubTaskScores normal = SubTaskScores.fromClassProbabilities(new double[] {1, 0, 0, 0});
        assertThat(normal.cvx1vs2()).isNull();
        assertThat(normal.cvx0vs3()).isEqualTo(0.0);
    }

    /**
     * InnerEye's sub-task accuracy: score > 0.5 strictly, each sub-task on its own subset, undefined
     * scores skipped. The scores computed here must reproduce InnerEye's published expectations.
     */
    @Test
    void goldenVectorsGiveInnerEyesAccuracies() {
        int[] correct = new int[3];
        int[] counted = new int[3];
        int undefined = 0;
        int multiclassCorrect = 0;
        for (int i = 0; i < GOLDEN_PROBABILITIES.length; i++) {
            double[] p = GOLDEN_PROBABILITIES[i];
            int truth = GOLDEN_TRUE_CLASS[i];
            SubTaskScores s = SubTaskScores.fromClassProbabilities(p);
            EnsemblePrediction e = EnsemblePrediction.fromFolds(new double[][] {p}, null, 0, 0);
            multiclassCorrect += e.predictedClass().index() == truth ? 1 : 0;

            counted[0]++;
            correct[0] += (s.cvx03vs12() > 0.5) == (truth == 1 || truth == 2) ? 1 : 0;
            if (truth == 0 || truth == 3) {
                if (s.cvx0vs3() == null) {
                    undefined++;
                } else {
                    counted[1]++;
                    correct[1] += (s.cvx0vs3() > 0.5) == (truth == 3) ? 1 : 0;
                }
            } else if (s.cvx1vs2() != null) {
                counted[2]++;
                correct[2] += (s.cvx1vs2() > 0.5) == (truth == 2) ? 1 : 0;
            }
        }
        assertThat((double) correct[0] / counted[0]).isCloseTo(0.6667, within(5e-5));
        assertThat((double) correct[1] / counted[1]).isEqualTo(1.0);
        assertThat(undefined).isEqualTo(1);
        assertThat((double) correct[2] / counted[2]).isEqualTo(0.75);
        assertThat((double) multiclassCorrect / GOLDEN_PROBABILITIES.length).isCloseTo(0.6667, within(5e-5));
    }

    @Test
    void sigmoid3GoldenVectors() {
        assertThat(argmax(OutputFormulation.fromBranchProbabilities(0.1, 0.1, 0.5))).isEqualTo(0);
        assertThat(argmax(OutputFormulation.fromBranchProbabilities(0.1, 0.9, 0.5))).isEqualTo(3);
        assertThat(argmax(OutputFormulation.fromBranchProbabilities(0.9, 0.9, 0.9))).isEqualTo(2);
        assertThat(argmax(OutputFormulation.fromBranchProbabilities(0.1, 0.2, 0.1))).isEqualTo(0);
    }

    @Test
    void sigmoid3ProbabilitiesAreTreeProductsThatSumToOne() {
        float s1 = 0.3f;
        float s2 = -1.2f;
        float s3 = 2.0f;
        double[] p = OutputFormulation.SIGMOID3.classProbabilities(new float[] {s1, s2, s3});
        double b1 = 1 / (1 + Math.exp(-s1));
        double b2 = 1 / (1 + Math.exp(-s2));
        double b3 = 1 / (1 + Math.exp(-s3));
        assertThat(p).containsExactly(new double[] {(1 - b1) * (1 - b2), b1 * (1 - b3), b1 * b3, (1 - b1) * b2},
                within(1e-12));
        assertThat(p[0] + p[1] + p[2] + p[3]).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void softmax4IsStableForLargeLogits() {
        double[] p = OutputFormulation.SOFTMAX4.classProbabilities(new float[] {1000f, 999f, -1000f, 0f});
        assertThat(p[0]).isCloseTo(1 / (1 + Math.exp(-1)), within(1e-12));
        assertThat(p[0] + p[1] + p[2] + p[3]).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void ensembleAveragesProbabilitiesBeforeArgmax() {
        // Fold A says CVX1 firmly, fold B says CVX0 weakly: the mean favours CVX1 (0.45 > 0.40).
        double[][] folds = {{0.2, 0.7, 0.05, 0.05}, {0.6, 0.2, 0.1, 0.1}};
        EnsemblePrediction e = EnsemblePrediction.fromFolds(folds, null, 1.5, 2.5);
        assertThat(e.probabilities()).containsExactly(new double[] {0.4, 0.45, 0.075, 0.075}, within(1e-12));
        assertThat(e.predictedClass()).isEqualTo(ChestClass.CVX1);
        assertThat(e.confidence()).isCloseTo(0.45, within(1e-12));
        assertThat(e.foldSpread()).containsExactly(new double[] {0.4, 0.5, 0.05, 0.05}, within(1e-12));
        assertThat(e.subTaskScores().cvx03vs12()).isCloseTo(0.525, within(1e-12));
        assertThat(e.waitMillis()).isEqualTo(1.5);
        assertThat(e.inferenceMillis()).isEqualTo(2.5);
    }

    @Test
    void activationMapsAreAveragedOverFoldsAndNamedByOutput() {
        // Two folds, one image, 3 sigmoid outputs of 1 x 2 cells each: the ensemble keeps one map per
        // sub-task, the fold mean, and names it as the API names the sub-task scores.
        float[][][] logits = {{{0.5f, -1f, 2f}}, {{1.5f, -3f, 0f}}};
        float[][][] maps = {{{1, 2, 3, 4, 5, 6}}, {{3, 4, 5, 6, 7, 8}}};
        EnsemblePrediction e = OutputFormulation.SIGMOID3
                .ensemble(new FoldOutputs(logits, maps, 1, 2, null), 1, new double[1], 0).get(0);
        assertThat(e.maps().outputs()).containsExactly("CVX03vs12", "CVX0vs3", "CVX1vs2");
        assertThat(e.maps().values()).containsExactly(2, 3, 4, 5, 6, 7);
        assertThat(e.maps().map("CVX0vs3").orElseThrow()).containsExactly(4, 5);

        float[][][] four = {{{0, 1, 2, 3}}};
        float[][][] fourMaps = {{{1, 1, 2, 2, 3, 3, 4, 4}}};
        EnsemblePrediction softmax = OutputFormulation.SOFTMAX4
                .ensemble(new FoldOutputs(four, fourMaps, 1, 2, null), 1, new double[1], 0).get(0);
        assertThat(softmax.maps().outputs()).containsExactly("CVX0", "CVX1", "CVX2", "CVX3");
        assertThat(OutputFormulation.SOFTMAX4.ensemble(FoldOutputs.logitsOnly(four), 1, new double[1], 0).get(0)
                .maps()).isNull();
    }

    private static int argmax(double[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) {
            if (p[i] > p[best]) {
                best = i;
            }
        }
        return best;
    }
}
