package org.chestlens.evaluation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

/**
 * Evaluation metrics: InnerEye's exactly (docs/innereye.md §4: sub-task accuracy with score > 0.5 on each
 * sub-task's own subset, undefined scores skipped and counted; multiclass accuracy; 4x4 confusion
 * matrix), plus what InnerEye lacks: AUROC per sub-task, sensitivity and specificity at 0.5, expected
 * calibration error with its reliability bins, seeded bootstrap 95% intervals, and Cohen's kappa.
 *
 * <p>The bootstrap draws case weights (how often each case is in a resample) and evaluates every
 * statistic on the weights, so one resample costs one pass over cases sorted once, not a sort, and
 * needs one buffer of n weights whatever the number of resamples.
 */
final class Metrics {

    static final int CALIBRATION_BINS = 10;

    private Metrics() {
    }

    /** One evaluated image: true class, the model's class probabilities, predicted class and sub-task scores. */
    record Case(int truth, double[] probabilities, int predicted, double cvx03vs12, Double cvx0vs3, Double cvx1vs2) {

        /** A reader's class as a one-hot "probability" vector, so readers go through the same metrics as the model. */
        static Case oneHot(int truth, int label) {
            double[] p = new double[4];
            p[label] = 1;
            return new Case(truth, p, label, p[1] + p[2], label == 1 || label == 2 ? null : p[3],
                    label == 0 || label == 3 ? null : p[2]);
        }
    }

    record Interval(double low, double high) {
    }

    /** {@code accuracy} is null when no case falls into the sub-task (JSON has no NaN). */
    record SubTaskResult(String subTask, int n, int skippedUndefined, Double accuracy, Interval accuracyInterval,
                         Double auroc, Interval aurocInterval, Double sensitivity, Double specificity,
                         List<RocPoint> roc) {
    }

    /** One point of an ROC curve: cases scoring at least {@code threshold} are called positive (null: none). */
    record RocPoint(Double threshold, double falsePositiveRate, double truePositiveRate) {
    }

    /** Points of an ROC curve at most; a longer curve keeps evenly spaced points (and both ends). */
    static final int ROC_POINTS = 101;

    record CalibrationBin(double from, double to, int n, Double meanConfidence, Double accuracy) {
    }

    record Report(int n, double multiclassAccuracy, Interval multiclassInterval, int[][] confusion,
                  List<SubTaskResult> subTasks, double expectedCalibrationError, List<CalibrationBin> reliability,
                  int bootstrapResamples, long bootstrapSeed) {
    }

    /** The hierarchy's sub-tasks (docs/innereye.md §1): which cases each is evaluated on, and its score. */
    enum SubTask {
        CVX03vs12(truth -> true, truth -> truth == 1 || truth == 2, Case::cvx03vs12),
        CVX0vs3(truth -> truth == 0 || truth == 3, truth -> truth == 3, Case::cvx0vs3),
        CVX1vs2(truth -> truth == 1 || truth == 2, truth -> truth == 2, Case::cvx1vs2);

        private final IntPredicate appliesTo;
        private final IntPredicate positive;
        private final Function<Case, Double> score;

        SubTask(IntPredicate appliesTo, IntPredicate positive, Function<Case, Double> score) {
            this.appliesTo = appliesTo;
            this.positive = positive;
            this.score = score;
        }

        boolean appliesTo(int truth) {
            return appliesTo.test(truth);
        }

        boolean positive(int truth) {
            return positive.test(truth);
        }

        Double score(Case c) {
            return score.apply(c);
        }
    }

    static Report evaluate(List<Case> cases, int resamples, long seed) {
        int n = cases.size();
        if (n == 0) {
            throw new IllegalArgumentException("no cases to evaluate");
        }
        int[] all = IntStream.range(0, n).toArray();
        boolean[] correct = new boolean[n];
        int[][] confusion = new int[4][4];
        for (int i = 0; i < n; i++) {
            Case c = cases.get(i);
            correct[i] = c.predicted() == c.truth();
            confusion[c.truth()][c.predicted()]++;
        }
        List<Prepared> prepared = Arrays.stream(SubTask.values()).map(t -> Prepared.of(t, cases)).toList();

        // Point estimates use weight 1 per case; each bootstrap resample reuses one weight buffer.
        double[] weight = new double[n];
        Arrays.fill(weight, 1.0);
        double multiclass = weightedMean(all, correct, weight);
        double[] multiclassResampled = new double[resamples];
        double[][] accuracyResampled = new double[prepared.size()][resamples];
        double[][] aurocResampled = new double[prepared.size()][resamples];
        SplittableRandom random = new SplittableRandom(seed);
        for (int r = 0; r < resamples; r++) {
            Arrays.fill(weight, 0.0);
            for (int draw = 0; draw < n; draw++) {
                weight[random.nextInt(n)]++;
            }
            multiclassResampled[r] = weightedMean(all, correct, weight);
            for (int t = 0; t < prepared.size(); t++) {
                Prepared task = prepared.get(t);
                accuracyResampled[t][r] = weightedMean(task.members(), task.correct(), weight);
                Double auroc = auroc(task.members(), task.score(), task.positive(), weight);
                aurocResampled[t][r] = auroc == null ? Double.NaN : auroc;
            }
        }
        Arrays.fill(weight, 1.0);
        List<SubTaskResult> subTasks = new ArrayList<>();
        for (int t = 0; t < prepared.size(); t++) {
            subTasks.add(prepared.get(t).result(weight, accuracyResampled[t], aurocResampled[t]));
        }

        double[] confidence = cases.stream().mapToDouble(c -> c.probabilities()[c.predicted()]).toArray();
        double[][] sums = binSums(binIndex(confidence), confidence, correct, weight);
        double ece = expectedCalibrationError(sums);
        List<CalibrationBin> bins = reliabilityBins(sums);
        return new Report(n, multiclass, percentileInterval(multiclassResampled), confusion, subTasks, ece, bins,
                resamples, seed);
    }

    /**
     * The reliability bin of each confidence: bins are (from, to], the first one [0, to], so a
     * confidence of exactly 1 falls in the last.
     */
    static int[] binIndex(double[] confidence) {
        int[] index = new int[confidence.length];
        for (int i = 0; i < confidence.length; i++) {
            for (int b = 0; b < CALIBRATION_BINS; b++) {
                double from = (double) b / CALIBRATION_BINS;
                double to = (double) (b + 1) / CALIBRATION_BINS;
                if ((confidence[i] > from || b == 0) && confidence[i] <= to) {
                    index[i] = b;
                    break;
                }
            }
        }
        return index;
    }

    /** Per bin, the summed case weight, weighted confidence and weighted hits: {@code [3][bins]}. */
    static double[][] binSums(int[] bin, double[] confidence, boolean[] correct, double[] weight) {
        double[][] sums = new double[3][CALIBRATION_BINS];
        for (int i = 0; i < bin.length; i++) {
            sums[0][bin[i]] += weight[i];
            sums[1][bin[i]] += weight[i] * confidence[i];
            sums[2][bin[i]] += correct[i] ? weight[i] : 0;
        }
        return sums;
    }

    /** Sum over bins of the bin's share of the weight times |accuracy - mean confidence|. */
    static double expectedCalibrationError(double[][] sums) {
        double total = Arrays.stream(sums[0]).sum();
        double ece = 0;
        for (int b = 0; b < CALIBRATION_BINS; b++) {
            if (sums[0][b] > 0) {
                ece += sums[0][b] / total * Math.abs(sums[2][b] / sums[0][b] - sums[1][b] / sums[0][b]);
            }
        }
        return ece;
    }

    /** The bins of unit-weight sums. */
    static List<CalibrationBin> reliabilityBins(double[][] sums) {
        List<CalibrationBin> bins = new ArrayList<>();
        for (int b = 0; b < CALIBRATION_BINS; b++) {
            int count = (int) Math.round(sums[0][b]);
            bins.add(new CalibrationBin((double) b / CALIBRATION_BINS, (double) (b + 1) / CALIBRATION_BINS, count,
                    count == 0 ? null : sums[1][b] / count, count == 0 ? null : sums[2][b] / count));
        }
        return bins;
    }

    /** A sub-task's cases (indices into the case list) sorted by score, with truth and correctness. */
    private record Prepared(SubTask task, int skipped, int[] members, double[] score, boolean[] positive,
                            boolean[] correct, int tp, int fn, int tn, int fp) {

        static Prepared of(SubTask task, List<Case> cases) {
            List<Integer> members = new ArrayList<>();
            int skipped = 0;
            for (int i = 0; i < cases.size(); i++) {
                Case c = cases.get(i);
                if (!task.appliesTo(c.truth())) {
                    continue;
                }
                Double score = task.score(c);
                if (score == null || score.isNaN()) {
                    skipped++;
                } else {
                    members.add(i);
                }
            }
            members.sort(Comparator.comparingDouble(i -> task.score(cases.get(i))));
            int m = members.size();
            int[] index = members.stream().mapToInt(Integer::intValue).toArray();
            double[] score = new double[cases.size()];
            boolean[] positive = new boolean[cases.size()];
            boolean[] correct = new boolean[cases.size()];
            int tp = 0, fn = 0, tn = 0, fp = 0;
            for (int i : index) {
                score[i] = task.score(cases.get(i));
                positive[i] = task.positive(cases.get(i).truth());
                boolean predictedPositive = score[i] > 0.5;
                correct[i] = predictedPositive == positive[i];
                if (positive[i]) {
                    tp += predictedPositive ? 1 : 0;
                    fn += predictedPositive ? 0 : 1;
                } else {
                    fp += predictedPositive ? 1 : 0;
                    tn += predictedPositive ? 0 : 1;
                }
            }
            return new Prepared(task, skipped, index, score, positive, correct, tp, fn, tn, fp);
        }

        SubTaskResult result(double[] unitWeight, double[] accuracyResampled, double[] aurocResampled) {
            if (members.length == 0) {
                return new SubTaskResult(task.name(), 0, skipped, null, null, null, null, null, null, List.of());
            }
            Double auroc = auroc(members, score, positive, unitWeight);
            return new SubTaskResult(task.name(), members.length, skipped, weightedMean(members, correct, unitWeight),
                    percentileInterval(accuracyResampled), auroc,
                    auroc == null ? null : percentileInterval(aurocResampled),
                    tp + fn == 0 ? null : (double) tp / (tp + fn), tn + fp == 0 ? null : (double) tn / (tn + fp),
                    roc(members, score, positive));
        }
    }

    /**
     * Weighted AUROC (Mann-Whitney, ties count one half) over the members, which are sorted by score
     * ascending; null when one of the two classes has no weight.
     */
    static Double auroc(int[] members, double[] score, boolean[] positive, double[] weight) {
        double negativesBelow = 0;
        double totalPositive = 0;
        double totalNegative = 0;
        double numerator = 0;
        int k = 0;
        while (k < members.length) {
            int end = k;
            double groupPositive = 0;
            double groupNegative = 0;
            while (end < members.length && score[members[end]] == score[members[k]]) {
                int i = members[end];
                if (positive[i]) {
                    groupPositive += weight[i];
                } else {
                    groupNegative += weight[i];
                }
                end++;
            }
            numerator += groupPositive * (negativesBelow + 0.5 * groupNegative);
            negativesBelow += groupNegative;
            totalPositive += groupPositive;
            totalNegative += groupNegative;
            k = end;
        }
        if (totalPositive == 0 || totalNegative == 0) {
            return null;
        }
        return numerator / (totalPositive * totalNegative);
    }

    /**
     * The ROC curve of the members (sorted by score ascending), from the highest threshold down: one point per
     * distinct score, thinned to {@link #ROC_POINTS}; empty when one of the two classes is absent.
     */
    static List<RocPoint> roc(int[] members, double[] score, boolean[] positive) {
        int totalPositive = 0;
        for (int i : members) {
            totalPositive += positive[i] ? 1 : 0;
        }
        int totalNegative = members.length - totalPositive;
        if (totalPositive == 0 || totalNegative == 0) {
            return List.of();
        }
        List<RocPoint> curve = new ArrayList<>();
        curve.add(new RocPoint(null, 0, 0));
        int truePositives = 0;
        int falsePositives = 0;
        int k = members.length - 1;
        while (k >= 0) {
            double threshold = score[members[k]];
            while (k >= 0 && score[members[k]] == threshold) {
                if (positive[members[k]]) {
                    truePositives++;
                } else {
                    falsePositives++;
                }
                k--;
            }
            curve.add(new RocPoint(threshold, (double) falsePositives / totalNegative,
                    (double) truePositives / totalPositive));
        }
        if (curve.size() <= ROC_POINTS) {
            return curve;
        }
        List<RocPoint> thinned = new ArrayList<>(ROC_POINTS);
        for (int j = 0; j < ROC_POINTS; j++) {
            thinned.add(curve.get((int) Math.round((double) j * (curve.size() - 1) / (ROC_POINTS - 1))));
        }
        return thinned;
    }

    /** Cohen's kappa of two raters over the same cases (classes 0-3); null when chance agreement is 1. */
    static Double cohenKappa(int[] a, int[] b) {
        if (a.length != b.length || a.length == 0) {
            throw new IllegalArgumentException("kappa needs two label lists of the same, non-zero length");
        }
        int n = a.length;
        int agree = 0;
        int[] countA = new int[4];
        int[] countB = new int[4];
        for (int i = 0; i < n; i++) {
            agree += a[i] == b[i] ? 1 : 0;
            countA[a[i]]++;
            countB[b[i]]++;
        }
        double observed = (double) agree / n;
        double chance = 0;
        for (int k = 0; k < 4; k++) {
            chance += ((double) countA[k] / n) * ((double) countB[k] / n);
        }
        return chance == 1.0 ? null : (observed - chance) / (1 - chance);
    }

    private static double weightedMean(int[] members, boolean[] hit, double[] weight) {
        double sum = 0;
        double total = 0;
        for (int i : members) {
            total += weight[i];
            sum += hit[i] ? weight[i] : 0;
        }
        return total == 0 ? Double.NaN : sum / total;
    }

    /** The 2.5th and 97.5th percentiles (linear interpolation) of the finite values; null without any. */
    static Interval percentileInterval(double[] values) {
        double[] finite = Arrays.stream(values).filter(Double::isFinite).sorted().toArray();
        if (finite.length == 0) {
            return null;
        }
        return new Interval(percentile(finite, 0.025), percentile(finite, 0.975));
    }

    private static double percentile(double[] sorted, double q) {
        double position = q * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
