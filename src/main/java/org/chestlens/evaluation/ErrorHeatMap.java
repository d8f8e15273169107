package org.chestlens.evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Error rate over one or two features, as in Azure ML's Error Analysis heat map: numeric features in
 * 8 equal-width bins between their smallest and largest value, categorical ones by category; missing
 * values get a bin of their own.
 */
final class ErrorHeatMap {

    static final int NUMERIC_BINS = 8;

    record Axis(String feature, List<String> bins) {
    }

    record Cell(int x, int y, int size, int errors, Double errorRate) {
    }

    record HeatMap(Axis x, Axis y, List<Cell> cells) {
    }

    private ErrorHeatMap() {
    }

    /** {@code yFeature} may be -1 for a one-feature map (one row). */
    static HeatMap of(List<ErrorTree.Feature> features, List<ErrorTree.Row> rows, int xFeature, int yFeature) {
        Binning x = Binning.of(features.get(xFeature), rows, xFeature);
        Binning y = yFeature < 0 ? null : Binning.of(features.get(yFeature), rows, yFeature);
        int ny = y == null ? 1 : y.labels.size();
        int[][] size = new int[x.labels.size()][ny];
        int[][] errors = new int[x.labels.size()][ny];
        for (ErrorTree.Row r : rows) {
            int bx = x.bin(r.values()[xFeature]);
            int by = y == null ? 0 : y.bin(r.values()[yFeature]);
            size[bx][by]++;
            errors[bx][by] += r.error() ? 1 : 0;
        }
        List<Cell> cells = new ArrayList<>();
        for (int i = 0; i < size.length; i++) {
            for (int j = 0; j < ny; j++) {
                cells.add(new Cell(i, j, size[i][j], errors[i][j], size[i][j] == 0 ? null : (double) errors[i][j] / size[i][j]));
            }
        }
        return new HeatMap(new Axis(features.get(xFeature).name(), x.labels),
                y == null ? null : new Axis(features.get(yFeature).name(), y.labels), cells);
    }

    private static final class Binning {
        final List<String> labels = new ArrayList<>();
        final boolean numeric;
        double min;
        double width;
        List<String> categories;
        int missingBin = -1;

        private Binning(boolean numeric) {
            this.numeric = numeric;
        }

        static Binning of(ErrorTree.Feature feature, List<ErrorTree.Row> rows, int f) {
            Binning b = new Binning(feature.numeric());
            boolean missing = rows.stream().anyMatch(r -> r.values()[f] == null);
            if (feature.numeric()) {
                double lo = rows.stream().filter(r -> r.values()[f] != null)
                        .mapToDouble(r -> ((Number) r.values()[f]).doubleValue()).min().orElse(0);
                double hi = rows.stream().filter(r -> r.values()[f] != null)
                        .mapToDouble(r -> ((Number) r.values()[f]).doubleValue()).max().orElse(0);
                b.min = lo;
                b.width = (hi - lo) / NUMERIC_BINS;
                for (int i = 0; i < NUMERIC_BINS; i++) {
                    double from = lo + i * b.width;
                    b.labels.add("[" + ErrorTree.format(from) + ", " + ErrorTree.format(from + b.width)
                            + (i == NUMERIC_BINS - 1 ? "]" : ")"));
                }
            } else {
                TreeSet<String> categories = new TreeSet<>();
                rows.stream().filter(r -> r.values()[f] != null).forEach(r -> categories.add((String) r.values()[f]));
                b.categories = List.copyOf(categories);
                b.labels.addAll(categories);
            }
            if (missing) {
                b.missingBin = b.labels.size();
                b.labels.add("(missing)");
            }
            return b;
        }

        int bin(Object value) {
            if (value == null) {
                return missingBin;
            }
            if (!numeric) {
                return categories.indexOf(value);
            }
            if (width == 0) {
                return 0;
            }
            int i = (int) Math.floor((((Number) value).doubleValue() - min) / width);
            return Math.max(0, Math.min(NUMERIC_BINS - 1, i));
        }
    }
}
