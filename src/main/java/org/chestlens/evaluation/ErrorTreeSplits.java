package org.chestlens.evaluation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

import org.chestlens.evaluation.ErrorTree.Condition;
import org.chestlens.evaluation.ErrorTree.Feature;
import org.chestlens.evaluation.ErrorTree.Row;

/**
 * The best split of one {@link ErrorTree} node on one feature: the largest Gini gain whose sides both
 * hold at least the minimum leaf size and whose error rates differ significantly. Numeric features are
 * cut at a threshold (missing values go right), categorical ones one category against the rest.
 */
final class ErrorTreeSplits {

    /** A candidate split of a node's rows and what it gains. */
    record Split(int feature, Condition left, Condition right, List<Row> leftRows, List<Row> rightRows, double gain) {
    }

    private ErrorTreeSplits() {
    }

    /** One sweep over the node's rows sorted by value: O(n log n), whatever the number of distinct values. */
    static Split bestNumeric(Feature feature, int f, List<Row> rows, int minLeaf, double minZ) {
        List<Row> present = new ArrayList<>();
        int missingErrors = 0;
        for (Row r : rows) {
            if (r.values()[f] != null) {
                present.add(r);
            } else {
                missingErrors += r.error() ? 1 : 0;
            }
        }
        present.sort(Comparator.comparingDouble(r -> ((Number) r.values()[f]).doubleValue()));
        int n = rows.size();
        int totalErrors = missingErrors + (int) present.stream().filter(Row::error).count();
        double parent = gini(n, totalErrors);
        int leftErrors = 0;
        double bestGain = 0;
        double bestThreshold = Double.NaN;
        for (int i = 0; i < present.size() - 1; i++) {
            leftErrors += present.get(i).error() ? 1 : 0;
            double value = ((Number) present.get(i).values()[f]).doubleValue();
            double next = ((Number) present.get(i + 1).values()[f]).doubleValue();
            int left = i + 1;
            if (value == next || left < minLeaf || n - left < minLeaf
                    || !significant(left, leftErrors, n - left, totalErrors - leftErrors, minZ)) {
                continue;
            }
            double gain = parent - (double) left / n * gini(left, leftErrors)
                    - (double) (n - left) / n * gini(n - left, totalErrors - leftErrors);
            if (gain > bestGain + 1e-12) {
                bestGain = gain;
                bestThreshold = (value + next) / 2;
            }
        }
        if (Double.isNaN(bestThreshold)) {
            return null;
        }
        return split(feature, f, rows, new Condition(feature.name(), "<=", bestThreshold, null, false),
                new Condition(feature.name(), ">", bestThreshold, null, true), minLeaf);
    }

    static Split bestCategorical(Feature feature, int f, List<Row> rows, int minLeaf, double minZ) {
        TreeMap<String, int[]> counts = new TreeMap<>();
        int totalErrors = 0;
        for (Row r : rows) {
            totalErrors += r.error() ? 1 : 0;
            if (r.values()[f] != null) {
                int[] c = counts.computeIfAbsent((String) r.values()[f], k -> new int[2]);
                c[0]++;
                c[1] += r.error() ? 1 : 0;
            }
        }
        int n = rows.size();
        double parent = gini(n, totalErrors);
        String bestCategory = null;
        double bestGain = 0;
        for (var entry : counts.entrySet()) {
            int in = entry.getValue()[0];
            int inErrors = entry.getValue()[1];
            if (in < minLeaf || n - in < minLeaf || !significant(in, inErrors, n - in, totalErrors - inErrors, minZ)) {
                continue;
            }
            double gain = parent - (double) in / n * gini(in, inErrors)
                    - (double) (n - in) / n * gini(n - in, totalErrors - inErrors);
            if (gain > bestGain + 1e-12) {
                bestGain = gain;
                bestCategory = entry.getKey();
            }
        }
        if (bestCategory == null) {
            return null;
        }
        Condition left = new Condition(feature.name(), "=", null, bestCategory, false);
        // With two categories "!= false" reads better as "= true"; missing values still go right.
        Condition right = counts.size() == 2
                ? new Condition(feature.name(), "=", null, counts.firstKey().equals(bestCategory)
                        ? counts.lastKey() : counts.firstKey(), true)
                : new Condition(feature.name(), "!=", null, bestCategory, true);
        return split(feature, f, rows, left, right, minLeaf);
    }

    private static Split split(Feature feature, int f, List<Row> rows, Condition left, Condition right, int minLeaf) {
        List<Row> leftRows = new ArrayList<>();
        List<Row> rightRows = new ArrayList<>();
        for (Row r : rows) {
            (left.test(feature, r.values()[f]) ? leftRows : rightRows).add(r);
        }
        if (leftRows.size() < minLeaf || rightRows.size() < minLeaf) {
            return null;
        }
        int n = rows.size();
        int leftErrors = (int) leftRows.stream().filter(Row::error).count();
        int rightErrors = (int) rightRows.stream().filter(Row::error).count();
        double gain = gini(n, leftErrors + rightErrors) - (double) leftRows.size() / n * gini(leftRows.size(), leftErrors)
                - (double) rightRows.size() / n * gini(rightRows.size(), rightErrors);
        return new Split(f, left, right, leftRows, rightRows, gain);
    }

    /** Two-proportion z-test of the sides' error rates (pooled standard error). */
    static boolean significant(int n1, int e1, int n2, int e2, double minZ) {
        if (minZ <= 0) {
            return true;
        }
        double pooled = (double) (e1 + e2) / (n1 + n2);
        double se = Math.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2));
        return se > 0 && Math.abs((double) e1 / n1 - (double) e2 / n2) / se >= minZ;
    }

    private static double gini(int size, int errors) {
        if (size == 0) {
            return 0;
        }
        double p = (double) errors / size;
        return 2 * p * (1 - p);
    }
}
