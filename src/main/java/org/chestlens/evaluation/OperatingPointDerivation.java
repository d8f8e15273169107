package org.chestlens.evaluation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.chestlens.prediction.ChestClass;
import org.chestlens.prediction.OperatingPoint;
import org.chestlens.prediction.ScoreSource;

/**
 * Thresholds at a target sensitivity, one finding at a time (one class against the rest), from labelled cases.
 * The scores come from a {@link ScoreSource} (today the stored ensemble probabilities; calibrated probabilities
 * later), so the derivation does not care what the numbers are, only their order.
 * <p>
 * The rule (the same as models/training/ood_stats.py's for the package's points): sort the positives' scores
 * highest first; the threshold is the ceil(target x positives)-th of them, and a score at or above it is
 * positive. It is the highest threshold whose sensitivity reaches the target. Bootstrap: cases resampled with
 * replacement (seeded); the sensitivity and specificity of the FIXED threshold on each resample, and the threshold
 * derived again on each resample, give percentile 95% intervals.
 */
final class OperatingPointDerivation {

    /** The findings an operating point is derived for: the abnormal classes. */
    static final List<ChestClass> FINDINGS = List.of(ChestClass.CVX1, ChestClass.CVX2, ChestClass.CVX3);

    private OperatingPointDerivation() {
    }

    /** A labelled case: its reference class and its class probabilities. */
    record Case(int truth, double[] probabilities) {
    }

    /** Per finding with at least one positive and one negative case, its operating point. */
    static List<OperatingPoint> derive(List<Case> cases, ScoreSource source, double target, int resamples, long seed,
                                       String measuredOn) {
        List<OperatingPoint> points = new ArrayList<>();
        for (ChestClass finding : FINDINGS) {
            double[] score = new double[cases.size()];
            boolean[] positive = new boolean[cases.size()];
            for (int i = 0; i < cases.size(); i++) {
                score[i] = source.score(finding, cases.get(i).probabilities());
                positive[i] = cases.get(i).truth() == finding.index();
            }
            int[] all = new int[cases.size()];
            Arrays.setAll(all, i -> i);
            Double threshold = threshold(all, score, positive, target);
            int positives = count(all, positive, true);
            if (threshold == null || positives == all.length) {
                continue; // no positive, or no negative: nothing to derive for this finding
            }
            double[] rate = rates(all, score, positive, threshold);
            double[] sensitivity = new double[resamples];
            double[] specificity = new double[resamples];
            double[] thresholds = new double[resamples];
            SplittableRandom random = new SplittableRandom(seed + finding.index());
            for (int b = 0; b < resamples; b++) {
                int[] sample = new int[cases.size()];
                for (int i = 0; i < sample.length; i++) {
                    sample[i] = random.nextInt(sample.length);
                }
                double[] r = rates(sample, score, positive, threshold);
                sensitivity[b] = r[0];
                specificity[b] = r[1];
                Double again = threshold(sample, score, positive, target);
                thresholds[b] = again == null ? Double.NaN : again;
            }
            points.add(new OperatingPoint(finding.code(), threshold, rate[0], rate[1], positives,
                    all.length - positives, interval(sensitivity, resamples), interval(specificity, resamples),
                    interval(thresholds, resamples), measuredOn));
        }
        return points;
    }

    /** The ceil(target x positives)-th highest positive score; null without positives. */
    static Double threshold(int[] members, double[] score, boolean[] positive, double target) {
        double[] positives = Arrays.stream(members).filter(i -> positive[i]).mapToDouble(i -> score[i]).sorted().toArray();
        if (positives.length == 0) {
            return null;
        }
        int rank = (int) Math.ceil(target * positives.length - 1e-9); // 1-based, highest first
        return positives[positives.length - Math.max(rank, 1)];
    }

    /** Sensitivity and specificity at the threshold (NaN where the members have no positive or no negative). */
    static double[] rates(int[] members, double[] score, boolean[] positive, double threshold) {
        int tp = 0;
        int p = 0;
        int tn = 0;
        int n = 0;
        for (int i : members) {
            boolean flagged = score[i] >= threshold;
            if (positive[i]) {
                p++;
                tp += flagged ? 1 : 0;
            } else {
                n++;
                tn += flagged ? 0 : 1;
            }
        }
        return new double[] {p == 0 ? Double.NaN : (double) tp / p, n == 0 ? Double.NaN : (double) tn / n};
    }

    private static int count(int[] members, boolean[] positive, boolean value) {
        int c = 0;
        for (int i : members) {
            c += positive[i] == value ? 1 : 0;
        }
        return c;
    }

    private static OperatingPoint.Interval interval(double[] values, int resamples) {
        if (resamples == 0) {
            return null;
        }
        Metrics.Interval i = Metrics.percentileInterval(values);
        return i == null ? null : new OperatingPoint.Interval(i.low(), i.high());
    }
}
