package org.chestlens.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class MetricsTest {

    /** docs/innereye.md §4: InnerEye's own test vectors. */
    static final double[][] GOLDEN_P = {
            {0.7, 0.1, 0.1, 0.1}, {0.1, 0.7, 0.1, 0.1}, {0.7, 0.1, 0.1, 0.1},
            {0.0, 1.0, 0.0, 0.0}, {0.0, 0.0, 1.0, 0.0}, {0.0, 1.0, 0.0, 0.0}};
    static final int[] GOLDEN_TRUTH = {0, 1, 2, 3, 2, 1};

    static Metrics.Case softmaxCase(int truth, double[] p) {
        int predicted = 0;
        for (int k = 1; k < 4; k++) {
            predicted = p[k] > p[predicted] ? k : predicted;
        }
        Double s0vs3 = p[0] + p[3] == 0 ? null : p[3] / (p[0] + p[3]);
        Double s1vs2 = p[1] + p[2] == 0 ? null : p[2] / (p[1] + p[2]);
        return new Metrics.Case(truth, p, predicted, p[1] + p[2], s0vs3, s1vs2);
    }

    static List<Metrics.Case> golden() {
        List<Metrics.Case> cases = new ArrayList<>();
        for (int i = 0; i < GOLDEN_P.length; i++) {
            cases.add(softmaxCase(GOLDEN_TRUTH[i], GOLDEN_P[i]));
        }
        return cases;
    }

    @Test
    void goldenVectorsGiveInnerEyesNumbersToFourDecimals() {
        Metrics.Report report = Metrics.evaluate(golden(), 200, 42);
        assertThat(report.multiclassAccuracy()).isCloseTo(0.6667, within(5e-5));
        Metrics.SubTaskResult level1 = report.subTasks().get(0);
        Metrics.SubTaskResult noCovid = report.subTasks().get(1);
        Metrics.SubTaskResult covid = report.subTasks().get(2);
        assertThat(level1.subTask()).isEqualTo("CVX03vs12");
        assertThat(level1.accuracy()).isCloseTo(0.6667, within(5e-5));
        assertThat(level1.n()).isEqualTo(6);
        assertThat(noCovid.subTask()).isEqualTo("CVX0vs3");
        assertThat(noCovid.accuracy()).isEqualTo(1.0);
        assertThat(noCovid.skippedUndefined()).isEqualTo(1);
        assertThat(noCovid.n()).isEqualTo(1);
        assertThat(covid.subTask()).isEqualTo("CVX1vs2");
        assertThat(covid.accuracy()).isEqualTo(0.75);  // image 3 scores exactly 0.5: not > 0.5
        assertThat(covid.skippedUndefined()).isZero();
        // Level 1 at 0.5: positives (true 1/2) scored 0.8, 0.2, 1.0, 1.0; negatives 0.2 and 1.0.
        assertThat(level1.sensitivity()).isEqualTo(0.75);
        assertThat(level1.specificity()).isEqualTo(0.5);
        assertThat(report.confusion()[2][0]).isEqualTo(1);
        assertThat(report.confusion()[3][1]).isEqualTo(1);
        assertThat(report.confusion()[1][1]).isEqualTo(2);
    }

    @Test
    void aurocIsMannWhitneyWithHalfCreditForTies() {
        // scikit-learn's roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75
        assertThat(auroc(new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {false, false, true, true})).isEqualTo(0.75);
        assertThat(auroc(new double[] {0.5, 0.5}, new boolean[] {true, false})).isEqualTo(0.5);
        assertThat(auroc(new double[] {0.2, 0.9}, new boolean[] {false, true})).isEqualTo(1.0);
        assertThat(auroc(new double[] {0.2, 0.9}, new boolean[] {true, true})).isNull();
    }

    @Test
    void rocCurveIsScikitLearnsAndItsAreaTheAuroc() {
        // scikit-learn's roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]): fpr 0 0 .5 .5 1, tpr 0 .5 .5 1 1
        Metrics.Report report = report(new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {false, false, true, true});
        List<Metrics.RocPoint> roc = report.subTasks().get(0).roc();
        assertThat(roc).extracting(Metrics.RocPoint::falsePositiveRate).containsExactly(0.0, 0.0, 0.5, 0.5, 1.0);
        assertThat(roc).extracting(Metrics.RocPoint::truePositiveRate).containsExactly(0.0, 0.5, 0.5, 1.0, 1.0);
        assertThat(roc).extracting(Metrics.RocPoint::threshold).containsExactly(null, 0.8, 0.4, 0.35, 0.1);
        double area = 0;
        for (int i = 1; i < roc.size(); i++) {
            area += (roc.get(i).falsePositiveRate() - roc.get(i - 1).falsePositiveRate())
                    * (roc.get(i).truePositiveRate() + roc.get(i - 1).truePositiveRate()) / 2;
        }
        assertThat(area).isEqualTo(report.subTasks().get(0).auroc());
        // One class only: no curve. Many distinct scores: thinned, both ends kept.
        assertThat(report(new double[] {0.2, 0.9}, new boolean[] {true, true}).subTasks().get(0).roc()).isEmpty();
        Random random = new Random(7);
        double[] scores = new double[500];
        boolean[] positive = new boolean[500];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = random.nextDouble();
            positive[i] = random.nextBoolean();
        }
        List<Metrics.RocPoint> thinned = report(scores, positive).subTasks().get(0).roc();
        assertThat(thinned).hasSize(Metrics.ROC_POINTS);
        assertThat(thinned.get(0).truePositiveRate()).isZero();
        assertThat(thinned.get(thinned.size() - 1).falsePositiveRate()).isEqualTo(1.0);
    }

    private static Double auroc(double[] scores, boolean[] positive) {
        return report(scores, positive).subTasks().get(0).auroc();
    }

    private static Metrics.Report report(double[] scores, boolean[] positive) {
        List<Metrics.Case> cases = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) {
            double s = scores[i];
            // Level 1 only: truth 1 (positive) or 0 (negative), score = p1 + p2.
            cases.add(new Metrics.Case(positive[i] ? 1 : 0, new double[] {1 - s, s, 0, 0}, s > 0.5 ? 1 : 0, s, 0.0, 0.0));
        }
        return Metrics.evaluate(cases, 10, 1);
    }

    @Test
    void cohenKappaMatchesTheTextbookExample() {
        // 50 cases: both yes 20, A yes B no 5, A no B yes 10, both no 15 -> kappa 0.4
        int[] a = new int[50];
        int[] b = new int[50];
        int i = 0;
        for (int k = 0; k < 20; k++, i++) { a[i] = 1; b[i] = 1; }
        for (int k = 0; k < 5; k++, i++) { a[i] = 1; b[i] = 0; }
        for (int k = 0; k < 10; k++, i++) { a[i] = 0; b[i] = 1; }
        for (int k = 0; k < 15; k++, i++) { a[i] = 0; b[i] = 0; }
        assertThat(Metrics.cohenKappa(a, b)).isCloseTo(0.4, within(1e-12));
        assertThat(Metrics.cohenKappa(a, a)).isEqualTo(1.0);
        assertThat(Metrics.cohenKappa(new int[] {2, 2}, new int[] {2, 2})).isNull();
    }

    @Test
    void expectedCalibrationErrorWeighsEachBinsGap() {
        List<Metrics.Case> cases = new ArrayList<>();
        for (int k = 0; k < 10; k++) {  // confidence 0.95, 8 of 10 right: gap 0.15 in bin (0.9, 1]
            cases.add(new Metrics.Case(k < 8 ? 0 : 1, new double[] {0.95, 0.05, 0, 0}, 0, 0.05, 0.0, 0.0));
        }
        for (int k = 0; k < 10; k++) {  // confidence 0.55, 5 of 10 right: gap 0.05 in bin (0.5, 0.6]
            cases.add(new Metrics.Case(k < 5 ? 3 : 0, new double[] {0.2, 0.1, 0.15, 0.55}, 3, 0.25, 0.55 / 0.75, 0.6));
        }
        Metrics.Report report = Metrics.evaluate(cases, 10, 1);
        assertThat(report.expectedCalibrationError()).isCloseTo(0.5 * 0.15 + 0.5 * 0.05, within(1e-12));
        assertThat(report.reliability()).hasSize(Metrics.CALIBRATION_BINS);
        Metrics.CalibrationBin top = report.reliability().get(9);
        assertThat(top.n()).isEqualTo(10);
        assertThat(top.accuracy()).isEqualTo(0.8);
        assertThat(top.meanConfidence()).isCloseTo(0.95, within(1e-12));
        assertThat(report.reliability().get(5).n()).isEqualTo(10);
        assertThat(report.reliability().get(0).n()).isZero();
        assertThat(report.reliability().get(0).accuracy()).isNull();
    }

    @Test
    void bootstrapIntervalsAreSeededAndBracketThePointEstimate() {
        Random random = new Random(7);
        List<Metrics.Case> cases = new ArrayList<>();
        for (int k = 0; k < 400; k++) {
            int truth = random.nextInt(4);
            double[] p = {0.1, 0.1, 0.1, 0.1};
            p[random.nextDouble() < 0.8 ? truth : random.nextInt(4)] += 0.6;
            cases.add(softmaxCase(truth, p));
        }
        Metrics.Report one = Metrics.evaluate(cases, 500, 2021);
        Metrics.Report again = Metrics.evaluate(cases, 500, 2021);
        Metrics.Report other = Metrics.evaluate(cases, 500, 2022);
        assertThat(again.multiclassInterval()).isEqualTo(one.multiclassInterval());
        assertThat(other.multiclassInterval()).isNotEqualTo(one.multiclassInterval());
        assertThat(one.multiclassInterval().low()).isLessThan(one.multiclassAccuracy());
        assertThat(one.multiclassInterval().high()).isGreaterThan(one.multiclassAccuracy());
        // A 95% interval of an accuracy near 0.8 on 400 cases is about +-0.04 wide.
        assertThat(one.multiclassInterval().high() - one.multiclassInterval().low()).isBetween(0.05, 0.11);
        for (Metrics.SubTaskResult task : one.subTasks()) {
            assertThat(task.accuracyInterval().low()).isLessThanOrEqualTo(task.accuracy());
            assertThat(task.accuracyInterval().high()).isGreaterThanOrEqualTo(task.accuracy());
            assertThat(task.aurocInterval().low()).isLessThanOrEqualTo(task.auroc());
            assertThat(task.aurocInterval().high()).isGreaterThanOrEqualTo(task.auroc());
        }
    }
}
