package org.chestlens.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The maximum-likelihood fits recover the parameters that generated the data, temperature scaling
 * keeps every argmax, cross-fitting keeps folds apart, and the quality numbers are the textbook ones.
 */
class CalibratorTest {

    /**
     * Cases drawn from a calibrated model with logits z; the "raw" model reports softmax(z / 2.5), far
     * too soft. The fitted temperature must undo that: T = 1 / 2.5 on the log-probabilities.
     */
    @Test
    void temperatureScalingRecoversTheTemperatureThatSoftenedTheProbabilities() {
        SplittableRandom random = new SplittableRandom(7);
        int n = 4000;
        double[][] raw = new double[n][];
        int[] truth = new int[n];
        for (int i = 0; i < n; i++) {
            double[] z = new double[4];
            for (int k = 0; k < 4; k++) {
                z[k] = 3 * random.nextGaussian();
            }
            truth[i] = draw(softmax(z), random);
            double[] softened = new double[4];
            for (int k = 0; k < 4; k++) {
                softened[k] = z[k] / 2.5;
            }
            raw[i] = softmax(softened);
        }
        double t = Calibrator.fitTemperature(raw, truth);
        assertThat(t).isCloseTo(0.4, within(0.03));

        Calibrator.Parameters fitted = Calibrator.fit(Calibrator.Method.TEMPERATURE, raw, truth);
        double[][] crossFitted = Calibrator.crossFitted(Calibrator.Method.TEMPERATURE, raw, truth, 5, 1);
        for (int i = 0; i < n; i++) {
            assertThat(CalibrationQuality.argmax(crossFitted[i])).isEqualTo(CalibrationQuality.argmax(raw[i]));
            assertThat(fitted.apply(raw[i])).satisfies(p -> assertThat(p[0] + p[1] + p[2] + p[3]).isCloseTo(1, within(1e-12)));
        }
        CalibrationQuality before = CalibrationQuality.of(raw, truth, 200, 3);
        CalibrationQuality after = CalibrationQuality.of(crossFitted, truth, 200, 3);
        assertThat(before.expectedCalibrationError()).isGreaterThan(0.15);
        assertThat(after.expectedCalibrationError()).isLessThan(0.03);
        assertThat(after.negativeLogLikelihood()).isLessThan(before.negativeLogLikelihood());
        assertThat(after.brierScore()).isLessThan(before.brierScore());
        assertThat(after.accuracy()).isEqualTo(before.accuracy());
        // ECE is biased upwards in small samples, so its percentile interval need not contain the point estimate.
        assertThat(after.expectedCalibrationErrorInterval().high())
                .isGreaterThan(after.expectedCalibrationErrorInterval().low())
                .isLessThan(before.expectedCalibrationErrorInterval().low());
    }

    @Test
    void plattScalingRecoversSlopeAndIntercept() {
        SplittableRandom random = new SplittableRandom(11);
        int n = 20000;
        double[] x = new double[n];
        List<Boolean> positive = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            x[i] = 4 * random.nextGaussian();
            positive.add(random.nextDouble() < Calibrator.sigmoid(0.5 * x[i] - 1));
        }
        double[] ab = Calibrator.fitPlatt(x, positive);
        assertThat(ab[0]).isCloseTo(0.5, within(0.03));
        assertThat(ab[1]).isCloseTo(-1, within(0.08));
        // Separable data: Platt's smoothed targets keep the fit finite.
        double[] separable = Calibrator.fitPlatt(new double[] {-2, -1, 1, 2}, List.of(false, false, true, true));
        assertThat(Double.isFinite(separable[0]) && Double.isFinite(separable[1])).isTrue();
        assertThat(Calibrator.fitPlatt(new double[0], List.of())).containsExactly(1, 0);
    }

    @Test
    void plattParametersMapEachSubTaskAndRebuildClassProbabilitiesAlongTheTree() {
        Calibrator.Parameters identity = new Calibrator.Parameters(null, List.of(
                new Calibrator.Platt("CVX03vs12", 1, 0, 10), new Calibrator.Platt("CVX0vs3", 1, 0, 10),
                new Calibrator.Platt("CVX1vs2", 1, 0, 10)));
        double[] p = {0.1, 0.5, 0.3, 0.1};
        assertThat(identity.apply(p)).containsExactly(new double[] {0.1, 0.5, 0.3, 0.1}, within(1e-9));
        Calibrator.Parameters sharper = new Calibrator.Parameters(null, List.of(
                new Calibrator.Platt("CVX03vs12", 2, 0, 10), new Calibrator.Platt("CVX0vs3", 1, 0, 10),
                new Calibrator.Platt("CVX1vs2", 1, 0, 10)));
        double[] q = sharper.apply(p);
        // P(COVID-19 features) 0.8 -> odds 4 -> 16 -> 16/17; the conditionals stay.
        assertThat(q[1] + q[2]).isCloseTo(16.0 / 17, within(1e-9));
        assertThat(q[2] / (q[1] + q[2])).isCloseTo(0.375, within(1e-9));
        assertThat(q[3] / (q[0] + q[3])).isCloseTo(0.5, within(1e-9));
    }

    @Test
    void crossFittingFoldsAreStratifiedAndBalanced() {
        int[] truth = new int[103];
        for (int i = 0; i < truth.length; i++) {
            truth[i] = i % 4;
        }
        int[] fold = Calibrator.folds(truth, 5, 9);
        int[][] count = new int[5][4];
        for (int i = 0; i < truth.length; i++) {
            count[fold[i]][truth[i]]++;
        }
        for (int k = 0; k < 5; k++) {
            int size = count[k][0] + count[k][1] + count[k][2] + count[k][3];
            assertThat(size).isBetween(20, 21);
            for (int c = 0; c < 4; c++) {
                assertThat(count[k][c]).isBetween(4, 6);
            }
        }
        assertThat(Calibrator.folds(truth, 5, 9)).containsExactly(fold);
    }

    @Test
    void qualityNumbersAreTheTextbookOnes() {
        double[][] p = {{0.7, 0.1, 0.1, 0.1}, {0.7, 0.1, 0.1, 0.1}, {0.2, 0.6, 0.1, 0.1}, {0.1, 0.1, 0.1, 0.7}};
        int[] truth = {0, 1, 1, 3};
        CalibrationQuality q = CalibrationQuality.of(p, truth, 0, 1);
        assertThat(q.accuracy()).isEqualTo(0.75);
        // Bin (0.6, 0.7]: three cases at 0.7, two right; bin (0.5, 0.6]: one case at 0.6, right.
        assertThat(q.expectedCalibrationError()).isCloseTo(0.75 * (0.7 - 2.0 / 3) + 0.25 * 0.4, within(1e-12));
        assertThat(q.negativeLogLikelihood()).isCloseTo(-(Math.log(0.7) + Math.log(0.1) + Math.log(0.6)
                + Math.log(0.7)) / 4, within(1e-12));
        double brier = ((0.09 + 0.03) + (0.49 + 0.81 + 0.02) + (0.04 + 0.16 + 0.02) + (0.03 + 0.09)) / 4;
        assertThat(q.brierScore()).isCloseTo(brier, within(1e-12));
        assertThat(q.reliability().get(6).n()).isEqualTo(3);
        assertThat(q.reliability().get(5).n()).isEqualTo(1);
        assertThat(q.expectedCalibrationErrorInterval()).isNull();
    }

    private static double[] softmax(double[] z) {
        double[] p = new double[z.length];
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int k = 0; k < z.length; k++) {
            p[k] = Math.exp(z[k] - max);
            sum += p[k];
        }
        for (int k = 0; k < z.length; k++) {
            p[k] /= sum;
        }
        return p;
    }

    private static int draw(double[] p, SplittableRandom random) {
        double u = random.nextDouble();
        for (int k = 0; k < p.length - 1; k++) {
            u -= p[k];
            if (u < 0) {
                return k;
            }
        }
        return p.length - 1;
    }
}
