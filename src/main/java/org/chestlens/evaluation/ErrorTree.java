package org.chestlens.evaluation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.PriorityQueue;

/**
 * Error analysis after Nushi, Kamar and Horvitz (Azure ML's Error Analysis): one shallow binary
 * decision tree (CART, Gini impurity) that predicts "the model was wrong" from image attributes and
 * the model's confidence, grown best split first within a depth, a leaf size and a leaf count.
 *
 * <p>Written here rather than taken from a library because the answer is the tree itself, read by
 * people: each node's condition in words, size, errors, error rate and error coverage, with
 * categorical attributes split one category against the rest and missing values kept (a numeric
 * split sends them to the right, "or missing"). Tribuo's CART exposes its nodes but one-hot encodes
 * categories and has no minimum leaf size or leaf count. How a node is best split is {@link ErrorTreeSplits}.
 */
final class ErrorTree {

    /**
     * Azure ML's limits, plus one of ours: a split is taken only when its two sides' error rates
     * differ beyond chance (two-proportion z-test, |z| >= minSplitZ; 2.58 is p < 0.01 two-sided,
     * 0 turns the test off), so a small subgroup is not cut up by noise into a smaller "worst" leaf.
     */
    record Parameters(int maxDepth, int minSamplesPerLeaf, int maxLeaves, double minSplitZ) {
        /** Azure ML Error Analysis defaults (depth 3, 20 per leaf, 31 leaves) and splits significant at p < 0.01. */
        static final Parameters DEFAULTS = new Parameters(3, 20, 31, 2.58);

        Parameters {
            if (maxDepth < 1 || maxDepth > 10 || minSamplesPerLeaf < 1 || maxLeaves < 2 || maxLeaves > 255
                    || !(minSplitZ >= 0 && minSplitZ <= 10)) {
                throw new IllegalArgumentException("depth 1-10, leaf size >= 1, leaves 2-255, minSplitZ 0-10");
            }
        }
    }

    /** A feature: numeric (values are Double) or categorical (values are String); null is missing. */
    record Feature(String name, boolean numeric) {
    }

    /** One case: its feature values (in the order of the features) and whether the model was wrong. */
    record Row(Object[] values, boolean error) {
    }

    /** How a node was split off its parent. */
    record Condition(String feature, String operator, Double threshold, String category, boolean includesMissing) {

        boolean test(Feature f, Object value) {
            if (value == null) {
                return includesMissing;
            }
            return switch (operator) {
                case "<=" -> ((Number) value).doubleValue() <= threshold;
                case ">" -> ((Number) value).doubleValue() > threshold;
                case "=" -> category.equals(value);
                case "!=" -> !category.equals(value);
                default -> throw new IllegalStateException(operator);
            };
        }

        String words() {
            String value = threshold != null ? format(threshold) : category;
            // ASCII operators: the words travel into HL7, CSV and terminals that may mangle other characters.
            String text = feature + " " + operator + " " + value;
            return includesMissing ? text + " or missing" : text;
        }
    }

    record Node(int id, Integer parent, int depth, Condition condition, String path, int size, int errors,
                double errorRate, double errorCoverage, boolean leaf, List<Integer> children) {
    }

    record Tree(List<Feature> features, Parameters parameters, int size, int errors, List<Node> nodes) {

        double overallErrorRate() {
            return size == 0 ? 0 : (double) errors / size;
        }

        /** The leaf a case falls into. */
        Node leafOf(Object[] values) {
            Node node = nodes.get(0);
            while (!node.leaf()) {
                Node next = null;
                for (int child : node.children()) {
                    Node candidate = nodes.get(child);
                    int f = featureIndex(candidate.condition().feature());
                    if (candidate.condition().test(features.get(f), values[f])) {
                        next = candidate;
                        break;
                    }
                }
                node = Objects.requireNonNull(next, "children must cover every value");
            }
            return node;
        }

        private int featureIndex(String name) {
            for (int i = 0; i < features.size(); i++) {
                if (features.get(i).name().equals(name)) {
                    return i;
                }
            }
            throw new IllegalArgumentException("unknown feature " + name);
        }
    }

    private ErrorTree() {
    }

    private record Pending(int nodeId, List<Row> rows, int depth, ErrorTreeSplits.Split split) {
    }

    static Tree fit(List<Feature> features, List<Row> rows, Parameters parameters) {
        int totalErrors = (int) rows.stream().filter(Row::error).count();
        List<MutableNode> nodes = new ArrayList<>();
        nodes.add(new MutableNode(0, null, 0, null, "all cases", rows, totalErrors));
        PriorityQueue<Pending> frontier = new PriorityQueue<>(
                Comparator.comparingDouble((Pending p) -> -p.split().gain()).thenComparingInt(Pending::nodeId));
        offer(frontier, features, nodes.get(0), parameters);
        int leaves = 1;
        while (!frontier.isEmpty() && leaves < parameters.maxLeaves()) {
            Pending best = frontier.poll();
            MutableNode parent = nodes.get(best.nodeId());
            for (boolean left : new boolean[] {true, false}) {
                Condition condition = left ? best.split().left() : best.split().right();
                List<Row> childRows = left ? best.split().leftRows() : best.split().rightRows();
                String path = parent.parent == null ? condition.words() : parent.path + " and " + condition.words();
                MutableNode child = new MutableNode(nodes.size(), parent.id, parent.depth + 1, condition, path, childRows,
                        totalErrors);
                nodes.add(child);
                parent.children.add(child.id);
                offer(frontier, features, child, parameters);
            }
            leaves++;
        }
        List<Node> result = nodes.stream().map(MutableNode::freeze).toList();
        return new Tree(List.copyOf(features), parameters, rows.size(), totalErrors, result);
    }

    private static void offer(PriorityQueue<Pending> frontier, List<Feature> features, MutableNode node, Parameters p) {
        if (node.depth >= p.maxDepth() || node.rows.size() < 2 * p.minSamplesPerLeaf()
                || node.errors == 0 || node.errors == node.rows.size()) {
            return;
        }
        ErrorTreeSplits.Split best = null;
        for (int f = 0; f < features.size(); f++) {
            ErrorTreeSplits.Split candidate = features.get(f).numeric()
                    ? ErrorTreeSplits.bestNumeric(features.get(f), f, node.rows, p.minSamplesPerLeaf(), p.minSplitZ())
                    : ErrorTreeSplits.bestCategorical(features.get(f), f, node.rows, p.minSamplesPerLeaf(), p.minSplitZ());
            if (candidate != null && (best == null || candidate.gain() > best.gain() + 1e-12)) {
                best = candidate;
            }
        }
        if (best != null && best.gain() > 1e-12) {
            frontier.add(new Pending(node.id, node.rows, node.depth, best));
        }
    }

    static String format(double value) {
        return Math.abs(value - Math.rint(value)) < 1e-9 ? String.valueOf((long) Math.rint(value))
                : String.format(Locale.ROOT, "%.4g", value);
    }

    private static final class MutableNode {
        final int id;
        final Integer parent;
        final int depth;
        final Condition condition;
        final String path;
        final List<Row> rows;
        final int errors;
        final int totalErrors;
        final List<Integer> children = new ArrayList<>();

        MutableNode(int id, Integer parent, int depth, Condition condition, String path, List<Row> rows, int totalErrors) {
            this.id = id;
            this.parent = parent;
            this.depth = depth;
            this.condition = condition;
            this.path = path;
            this.rows = rows;
            this.errors = (int) rows.stream().filter(Row::error).count();
            this.totalErrors = totalErrors;
        }

        Node freeze() {
            return new Node(id, parent, depth, condition, path, rows.size(), errors,
                    rows.isEmpty() ? 0 : (double) errors / rows.size(),
                    totalErrors == 0 ? 0 : (double) errors / totalErrors, children.isEmpty(), List.copyOf(children));
        }
    }
}
