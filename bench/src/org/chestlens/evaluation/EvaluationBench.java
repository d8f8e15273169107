package org.chestlens.evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * How long the evaluation takes for 10 000 labelled predictions, in memory (the metrics with 1000
 * bootstrap resamples, and an error-analysis tree over six features). The goal: under 2 s.
 * The database query that feeds it is not included; see bench/README.md.
 */
public final class EvaluationBench {

    public static void main(String[] args) {
        int n = Integer.getInteger("bench.cases", 10_000);
        int resamples = Integer.getInteger("bench.bootstrap", 1000);
        Random random = new Random(20210714);
        List<Metrics.Case> cases = new ArrayList<>(n);
        List<ErrorTree.Row> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int truth = random.nextInt(4);
            boolean icu = random.nextDouble() < 0.2;
            double[] p = {0.1, 0.1, 0.1, 0.1};
            p[random.nextDouble() < (icu ? 0.55 : 0.9) ? truth : random.nextInt(4)] += 0.6;
            int predicted = argmax(p);
            Metrics.Case c = new Metrics.Case(truth, p, predicted, p[1] + p[2], p[3] / (p[0] + p[3]), p[2] / (p[1] + p[2]));
            cases.add(c);
            rows.add(new ErrorTree.Row(new Object[] {String.valueOf(icu), "SITE-" + (char) ('A' + random.nextInt(4)),
                    random.nextBoolean() ? "AP" : "PA", 20.0 + random.nextInt(70), p[c.predicted()],
                    random.nextBoolean() ? "M" : "F"}, c.predicted() != truth));
        }
        List<ErrorTree.Feature> features = List.of(new ErrorTree.Feature("icuPortable", false),
                new ErrorTree.Feature("site", false), new ErrorTree.Feature("view", false),
                new ErrorTree.Feature("age", true), new ErrorTree.Feature("confidence", true),
                new ErrorTree.Feature("sex", false));
        for (int warmUp = 0; warmUp < 3; warmUp++) {
            Metrics.evaluate(cases, resamples, warmUp);
            ErrorTree.fit(features, rows, ErrorTree.Parameters.DEFAULTS);
        }
        int rounds = 5;
        long metricsNanos = 0;
        long treeNanos = 0;
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            Metrics.evaluate(cases, resamples, r);
            long t1 = System.nanoTime();
            ErrorTree.fit(features, rows, ErrorTree.Parameters.DEFAULTS);
            long t2 = System.nanoTime();
            metricsNanos += t1 - t0;
            treeNanos += t2 - t1;
        }
        double metrics = metricsNanos / 1e9 / rounds;
        double tree = treeNanos / 1e9 / rounds;
        System.out.printf("evaluation of %d predictions: metrics with %d bootstrap resamples %.3f s, error tree "
                        + "(6 features, depth 3) %.3f s, together %.3f s = %.2f of the 2 s goal (mean of %d runs)%n",
                n, resamples, metrics, tree, metrics + tree, (metrics + tree) / 2.0, rounds);
    }

    private static int argmax(double[] p) {
        int best = 0;
        for (int k = 1; k < p.length; k++) {
            best = p[k] > p[best] ? k : best;
        }
        return best;
    }
}
