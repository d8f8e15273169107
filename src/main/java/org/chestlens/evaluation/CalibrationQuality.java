package org.chestlens.evaluation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import io.swagger.v3.oas.annotations.media.Schema;

/**
 * How well class probabilities are calibrated against the truth: the top-class expected calibration
 * error over {@link Metrics}' ten reliability bins (the same bins and definition the evaluation
 * report uses), the mean negative log-likelihood of the true class, the multiclass Brier score, and
 * accuracy, each with a seeded bootstrap 95% interval (case weights, as {@link Metrics} draws them),
 * and per bin the interval of its accuracy.
 */
@Schema(name = "CalibrationQuality")
record CalibrationQuality(
        int n,
        @Schema(description = "Share of cases whose most probable class is the true one") double accuracy,
        Metrics.Interval accuracyInterval,
        @Schema(description = "Top-class ECE over 10 equal-width bins") double expectedCalibrationError,
        Metrics.Interval expectedCalibrationErrorInterval,
        @Schema(description = "Mean -ln p(true class), probabilities floored at 1e-15") double negativeLogLikelihood,
        Metrics.Interval negativeLogLikelihoodInterval,
        @Schema(description = "Mean over cases of the summed squared differences to the one-hot truth (0 to 2)")
        double brierScore,
        Metrics.Interval brierScoreInterval,
        List<Bin> reliability) {

    private static final double NLL_FLOOR = 1e-15;

    @Schema(name = "ReliabilityBin", description = "Cases whose top-class probability lies in (from, to] ([0, to] "
            + "for the first bin): their mean top-class probability against how often that class was right")
    record Bin(double from, double to, int n, Double meanConfidence, Double accuracy,
               @Schema(description = "Bootstrap 95% interval of the bin's accuracy; null for an empty bin")
               Metrics.Interval accuracyInterval) {
    }

    /**
     * @param p class probabilities CVX0..CVX3 per case
     * @param truth true class per case
     */
    static CalibrationQuality of(double[][] p, int[] truth, int resamples, long seed) {
        int n = p.length;
        double[] confidence = new double[n];
        boolean[] correct = new boolean[n];
        double[] logLoss = new double[n];
        double[] brier = new double[n];
        for (int i = 0; i < n; i++) {
            int top = argmax(p[i]);
            confidence[i] = p[i][top];
            correct[i] = top == truth[i];
            logLoss[i] = -Math.log(Math.max(p[i][truth[i]], NLL_FLOOR));
            for (int k = 0; k < p[i].length; k++) {
                double d = p[i][k] - (k == truth[i] ? 1 : 0);
                brier[i] += d * d;
            }
        }
        int[] bin = Metrics.binIndex(confidence);
        double[] weight = new double[n];
        double[][] resampled = new double[4][resamples];
        double[][] binAccuracy = new double[Metrics.CALIBRATION_BINS][resamples];
        SplittableRandom random = new SplittableRandom(seed);
        for (int r = 0; r < resamples; r++) {
            Arrays.fill(weight, 0.0);
            for (int draw = 0; draw < n; draw++) {
                weight[random.nextInt(n)]++;
            }
            double[][] sums = Metrics.binSums(bin, confidence, correct, weight);
            double[] point = point(sums, correct, logLoss, brier, weight);
            for (int s = 0; s < 4; s++) {
                resampled[s][r] = point[s];
            }
            for (int b = 0; b < Metrics.CALIBRATION_BINS; b++) {
                binAccuracy[b][r] = sums[0][b] == 0 ? Double.NaN : sums[2][b] / sums[0][b];
            }
        }
        Arrays.fill(weight, 1.0);
        double[][] sums = Metrics.binSums(bin, confidence, correct, weight);
        double[] point = point(sums, correct, logLoss, brier, weight);
        List<Bin> bins = new ArrayList<>();
        List<Metrics.CalibrationBin> plain = Metrics.reliabilityBins(sums);
        for (int b = 0; b < plain.size(); b++) {
            Metrics.CalibrationBin c = plain.get(b);
            bins.add(new Bin(c.from(), c.to(), c.n(), c.meanConfidence(), c.accuracy(),
                    c.n() == 0 ? null : Metrics.percentileInterval(binAccuracy[b])));
        }
        return new CalibrationQuality(n, point[0], Metrics.percentileInterval(resampled[0]), point[1],
                Metrics.percentileInterval(resampled[1]), point[2], Metrics.percentileInterval(resampled[2]), point[3],
                Metrics.percentileInterval(resampled[3]), bins);
    }

    /** Accuracy, ECE, NLL and Brier under the case weights. */
    private static double[] point(double[][] sums, boolean[] correct, double[] logLoss, double[] brier,
                                  double[] weight) {
        double total = 0, hits = 0, nll = 0, squared = 0;
        for (int i = 0; i < weight.length; i++) {
            total += weight[i];
            hits += correct[i] ? weight[i] : 0;
            nll += weight[i] * logLoss[i];
            squared += weight[i] * brier[i];
        }
        return new double[] {hits / total, Metrics.expectedCalibrationError(sums), nll / total, squared / total};
    }

    static int argmax(double[] p) {
        int best = 0;
        for (int k = 1; k < p.length; k++) {
            if (p[k] > p[best]) {
                best = k;
            }
        }
        return best;
    }
}
