package org.chestlens.evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import org.chestlens.prediction.PredictionView;

/**
 * Calibration maps fitted by maximum likelihood on labelled cases, from the stored raw class
 * probabilities (the service keeps no logits):
 *
 * <ul>
 * <li>{@code temperature} (Guo et al. 2017) for softmax4 models: {@code p' = softmax(log(p) / T)}.
 * The ensemble's probabilities are fold-averaged softmaxes, so {@code log(p)} is the ensemble's
 * log-probability, not a fold's logit; scaling it is temperature scaling of the ensemble as a whole
 * and, like scaling logits, a monotone map that cannot change the argmax.</li>
 * <li>{@code platt} (Platt 1999) for sigmoid3 models: per sub-task of the hierarchy,
 * {@code s' = sigmoid(a * logit(s) + b)} on the sub-task's own cases, with Platt's smoothed targets
 * (they keep the fit finite when a sub-task is separable); class probabilities are then the
 * products along the tree, as the sigmoid3 formulation forms them.</li>
 * </ul>
 *
 * <p>Both negative log-likelihoods are convex in their parameters (1/T; a and b), so a bisection
 * on the monotone derivative and a damped Newton step find the optimum; no library is needed.
 */
final class Calibrator {

    /** Probabilities are floored here before a logarithm: a stored 0 stays (almost) 0, never -infinity. */
    private static final double FLOOR = 1e-300;
    /** Sub-task scores are clamped this far inside (0, 1) before a logit. */
    private static final double EDGE = 1e-12;
    private static final double MIN_TEMPERATURE = 0.01;
    private static final double MAX_TEMPERATURE = 100;

    private Calibrator() {
    }

    enum Method {
        TEMPERATURE, PLATT;

        String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Method of(String id) {
            return valueOf(id.toUpperCase(Locale.ROOT));
        }

        /** The method that suits the model's output formulation. */
        static Method forFormulation(String formulation) {
            return "sigmoid3".equals(formulation) ? PLATT : TEMPERATURE;
        }
    }

    @Schema(name = "PlattScaling", description = "s' = sigmoid(slope * logit(s) + intercept) for one sub-task")
    record Platt(String subTask, double slope, double intercept,
                 @Schema(description = "Labelled cases of the sub-task it was fitted on") int n) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "CalibrationParameters")
    record Parameters(
            @Schema(description = "temperature: T in softmax(log(p) / T); below 1 sharpens, above 1 softens") Double temperature,
            @Schema(description = "platt: one map per sub-task, in hierarchy order") List<Platt> platt) {

        /** The calibrated class probabilities CVX0..CVX3 of raw ones. */
        double[] apply(double[] p) {
            if (temperature != null) {
                return tempered(p, 1 / temperature);
            }
            PredictionView.SubTaskScoresView s = PredictionView.SubTaskScoresView.of(p);
            double s1 = platt(0, s.cvx03vs12());
            double s2 = platt(1, s.cvx0vs3());
            double s3 = platt(2, s.cvx1vs2());
            return new double[] {(1 - s1) * (1 - s2), s1 * (1 - s3), s1 * s3, (1 - s1) * s2};
        }

        /** An undefined conditional score (its condition had probability 0) enters as logit 0. */
        private double platt(int task, Double score) {
            Platt map = platt.get(task);
            double x = score == null ? 0 : logit(score);
            return sigmoid(map.slope() * x + map.intercept());
        }
    }

    static Parameters fit(Method method, double[][] p, int[] truth) {
        if (method == Method.TEMPERATURE) {
            return new Parameters(fitTemperature(p, truth), null);
        }
        List<Platt> maps = new ArrayList<>();
        for (Metrics.SubTask task : Metrics.SubTask.values()) {
            List<Double> x = new ArrayList<>();
            List<Boolean> y = new ArrayList<>();
            for (int i = 0; i < p.length; i++) {
                Double score = PredictionView.SubTaskScoresView.of(p[i]).byName().get(task.name());
                if (task.appliesTo(truth[i]) && score != null) {
                    x.add(logit(score));
                    y.add(task.positive(truth[i]));
                }
            }
            double[] ab = fitPlatt(x.stream().mapToDouble(Double::doubleValue).toArray(), y);
            maps.add(new Platt(task.name(), ab[0], ab[1], x.size()));
        }
        return new Parameters(null, maps);
    }

    /**
     * Calibrated probabilities of every case from a map fitted on the other folds only: K folds
     * stratified by true class, cases dealt to them in a seeded random order.
     */
    static double[][] crossFitted(Method method, double[][] p, int[] truth, int folds, long seed) {
        int[] fold = folds(truth, folds, seed);
        double[][] calibrated = new double[p.length][];
        for (int k = 0; k < folds; k++) {
            List<Integer> train = new ArrayList<>();
            for (int i = 0; i < p.length; i++) {
                if (fold[i] != k) {
                    train.add(i);
                }
            }
            Parameters map = fit(method, train.stream().map(i -> p[i]).toArray(double[][]::new),
                    train.stream().mapToInt(i -> truth[i]).toArray());
            for (int i = 0; i < p.length; i++) {
                if (fold[i] == k) {
                    calibrated[i] = map.apply(p[i]);
                }
            }
        }
        return calibrated;
    }

    static int[] folds(int[] truth, int folds, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] fold = new int[truth.length];
        int next = 0;
        for (int c = 0; c < 4; c++) {
            List<Integer> members = new ArrayList<>();
            for (int i = 0; i < truth.length; i++) {
                if (truth[i] == c) {
                    members.add(i);
                }
            }
            for (int j = members.size() - 1; j > 0; j--) {
                int swap = random.nextInt(j + 1);
                members.set(j, members.set(swap, members.get(j)));
            }
            for (int i : members) {
                fold[i] = next++ % folds;
            }
        }
        return fold;
    }

    /**
     * T minimising the negative log-likelihood. With beta = 1/T the NLL is convex and its derivative
     * sum_i (E_beta[z_i] - z_i,truth), z = log p, increases with beta: bisection (on log beta) finds its
     * zero, clamped to T in [0.01, 100].
     */
    static double fitTemperature(double[][] p, int[] truth) {
        double[][] z = new double[p.length][4];
        for (int i = 0; i < p.length; i++) {
            for (int k = 0; k < 4; k++) {
                z[i][k] = Math.log(Math.max(p[i][k], FLOOR));
            }
        }
        double low = Math.log(1 / MAX_TEMPERATURE);
        double high = Math.log(1 / MIN_TEMPERATURE);
        if (nllSlope(z, truth, Math.exp(low)) >= 0) {
            return MAX_TEMPERATURE;
        }
        if (nllSlope(z, truth, Math.exp(high)) <= 0) {
            return MIN_TEMPERATURE;
        }
        for (int iteration = 0; iteration < 100; iteration++) {
            double mid = (low + high) / 2;
            if (nllSlope(z, truth, Math.exp(mid)) > 0) {
                high = mid;
            } else {
                low = mid;
            }
        }
        return 1 / Math.exp((low + high) / 2);
    }

    private static double nllSlope(double[][] z, int[] truth, double beta) {
        double slope = 0;
        for (int i = 0; i < z.length; i++) {
            double[] q = softmax(z[i], beta);
            double expected = 0;
            for (int k = 0; k < 4; k++) {
                expected += q[k] == 0 ? 0 : q[k] * z[i][k];
            }
            slope += expected - z[i][truth[i]];
        }
        return slope;
    }

    /**
     * Slope and intercept by Newton's method with step halving on the (convex) cross-entropy against
     * Platt's targets (N+ + 1) / (N+ + 2) and 1 / (N- + 2); the identity map when there are no cases.
     */
    static double[] fitPlatt(double[] x, List<Boolean> positive) {
        if (x.length == 0) {
            return new double[] {1, 0};
        }
        long positives = positive.stream().filter(b -> b).count();
        double high = (positives + 1.0) / (positives + 2.0);
        double low = 1.0 / (x.length - positives + 2.0);
        double[] t = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            t[i] = positive.get(i) ? high : low;
        }
        double a = 1;
        double b = 0;
        double loss = plattLoss(x, t, a, b);
        for (int iteration = 0; iteration < 100; iteration++) {
            double ga = 0, gb = 0, haa = 1e-12, hab = 0, hbb = 1e-12;
            for (int i = 0; i < x.length; i++) {
                double s = sigmoid(a * x[i] + b);
                double w = s * (1 - s);
                ga += (s - t[i]) * x[i];
                gb += s - t[i];
                haa += w * x[i] * x[i];
                hab += w * x[i];
                hbb += w;
            }
            double det = haa * hbb - hab * hab;
            double da = -(hbb * ga - hab * gb) / det;
            double db = -(haa * gb - hab * ga) / det;
            double step = 1;
            double next = plattLoss(x, t, a + da, b + db);
            while (next > loss && step > 1e-10) {
                step /= 2;
                next = plattLoss(x, t, a + step * da, b + step * db);
            }
            if (next > loss) {
                break;
            }
            a += step * da;
            b += step * db;
            boolean converged = loss - next < 1e-12 * Math.max(1, loss);
            loss = next;
            if (converged) {
                break;
            }
        }
        return new double[] {a, b};
    }

    private static double plattLoss(double[] x, double[] t, double a, double b) {
        double loss = 0;
        for (int i = 0; i < x.length; i++) {
            double f = a * x[i] + b;
            // log(1 + e^f) - t f, computed without overflow
            loss += (f > 0 ? f + Math.log1p(Math.exp(-f)) : Math.log1p(Math.exp(f))) - t[i] * f;
        }
        return loss;
    }

    static double[] tempered(double[] p, double beta) {
        double[] z = new double[p.length];
        for (int k = 0; k < p.length; k++) {
            z[k] = Math.log(Math.max(p[k], FLOOR));
        }
        return softmax(z, beta);
    }

    private static double[] softmax(double[] z, double beta) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, beta * v);
        }
        double[] q = new double[z.length];
        double sum = 0;
        for (int k = 0; k < z.length; k++) {
            q[k] = Math.exp(beta * z[k] - max);
            sum += q[k];
        }
        for (int k = 0; k < z.length; k++) {
            q[k] /= sum;
        }
        return q;
    }

    static double logit(double s) {
        double c = Math.min(1 - EDGE, Math.max(EDGE, s));
        return Math.log(c / (1 - c));
    }

    static double sigmoid(double f) {
        return 1 / (1 + Math.exp(-f));
    }
}
