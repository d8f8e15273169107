package org.chestlens.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class ErrorTreeTest {

    static final List<ErrorTree.Feature> FEATURES = List.of(
            new ErrorTree.Feature("icuPortable", false), new ErrorTree.Feature("site", false),
            new ErrorTree.Feature("age", true), new ErrorTree.Feature("confidence", true));

    /** 800 cases; ICU portable films are wrong 45% of the time, the rest 6%. */
    static List<ErrorTree.Row> planted(long seed) {
        Random random = new Random(seed);
        List<ErrorTree.Row> rows = new ArrayList<>();
        for (int i = 0; i < 800; i++) {
            boolean icu = random.nextDouble() < 0.2;
            String site = String.valueOf((char) ('A' + random.nextInt(4)));
            Double age = random.nextDouble() < 0.05 ? null : (double) (20 + random.nextInt(70));
            double confidence = 0.3 + 0.7 * random.nextDouble();
            boolean error = random.nextDouble() < (icu ? 0.45 : 0.06);
            rows.add(new ErrorTree.Row(new Object[] {String.valueOf(icu), site, age, confidence}, error));
        }
        return rows;
    }

    @Test
    void theFirstSplitIsolatesAPlantedSubgroupAndTheWorstLeafLiesInIt() {
        List<ErrorTree.Row> rows = planted(11);
        ErrorTree.Tree tree = ErrorTree.fit(FEATURES, rows, ErrorTree.Parameters.DEFAULTS);
        ErrorTree.Node icuBranch = tree.nodes().get(tree.nodes().get(0).children().stream()
                .filter(c -> tree.nodes().get(c).condition().words().startsWith("icuPortable = true"))
                .findFirst().orElseThrow(() -> new AssertionError(tree.nodes().get(1).condition().words())));
        int inBranchAndIcu = 0;
        int inBranch = 0;
        int icu = 0;
        for (ErrorTree.Row r : rows) {
            boolean isIcu = r.values()[0].equals("true");
            boolean inside = tree.leafOf(r.values()).path().startsWith(icuBranch.path());
            icu += isIcu ? 1 : 0;
            inBranch += inside ? 1 : 0;
            inBranchAndIcu += isIcu && inside ? 1 : 0;
        }
        assertThat((double) inBranchAndIcu / inBranch).as("precision").isGreaterThanOrEqualTo(0.8);
        assertThat((double) inBranchAndIcu / icu).as("recall").isGreaterThanOrEqualTo(0.8);
        assertThat(icuBranch.errorRate()).isGreaterThan(2 * tree.overallErrorRate());
        // Deeper splits of that branch are noise in this data, but the worst leaf stays inside it.
        ErrorTree.Node worst = tree.nodes().stream().filter(ErrorTree.Node::leaf)
                .max(Comparator.comparingDouble(ErrorTree.Node::errorRate)).orElseThrow();
        assertThat(worst.path()).startsWith(icuBranch.path());
    }

    @Test
    void theTreeKeepsItsLimitsAndItsCountsAddUp() {
        List<ErrorTree.Row> rows = planted(12);
        ErrorTree.Tree tree = ErrorTree.fit(FEATURES, rows, ErrorTree.Parameters.DEFAULTS);
        assertThat(tree.size()).isEqualTo(800);
        ErrorTree.Node root = tree.nodes().get(0);
        assertThat(root.size()).isEqualTo(800);
        assertThat(root.errorCoverage()).isEqualTo(1.0);
        assertThat(root.condition()).isNull();
        double leafCoverage = 0;
        int leafSize = 0;
        for (ErrorTree.Node node : tree.nodes()) {
            assertThat(node.depth()).isLessThanOrEqualTo(3);
            assertThat(node.size()).isGreaterThanOrEqualTo(20);
            assertThat(node.errorRate()).isCloseTo((double) node.errors() / node.size(), within(1e-12));
            if (node.leaf()) {
                leafCoverage += node.errorCoverage();
                leafSize += node.size();
            } else {
                assertThat(node.children()).hasSize(2);
                List<ErrorTree.Node> children = node.children().stream().map(tree.nodes()::get).toList();
                assertThat(children.get(0).size() + children.get(1).size()).isEqualTo(node.size());
                assertThat(children.get(0).errors() + children.get(1).errors()).isEqualTo(node.errors());
            }
        }
        assertThat(leafCoverage).isCloseTo(1.0, within(1e-9));
        assertThat(leafSize).isEqualTo(800);
        assertThat(tree.nodes().stream().filter(ErrorTree.Node::leaf).count()).isLessThanOrEqualTo(8);

        ErrorTree.Tree stump = ErrorTree.fit(FEATURES, rows, new ErrorTree.Parameters(3, 20, 2, 2.58));
        assertThat(stump.nodes()).hasSize(3);
        ErrorTree.Tree bigLeaves = ErrorTree.fit(FEATURES, rows, new ErrorTree.Parameters(3, 300, 31, 2.58));
        assertThat(bigLeaves.nodes()).allMatch(n -> n.size() >= 300);
    }

    @Test
    void numericSplitsAtTheMidpointAndSendsMissingValuesRight() {
        List<ErrorTree.Row> rows = new ArrayList<>();
        for (int age = 20; age <= 90; age++) {
            rows.add(new ErrorTree.Row(new Object[] {"false", "A", (double) age, 0.9}, age > 70));
        }
        rows.add(new ErrorTree.Row(new Object[] {"false", "A", null, 0.9}, true));
        ErrorTree.Tree tree = ErrorTree.fit(FEATURES, rows, new ErrorTree.Parameters(1, 5, 31, 2.58));
        assertThat(tree.nodes()).hasSize(3);
        ErrorTree.Node low = tree.nodes().get(1);
        ErrorTree.Node high = tree.nodes().get(2);
        assertThat(low.condition().words()).isEqualTo("age <= 70.50");
        assertThat(high.condition().words()).isEqualTo("age > 70.50 or missing");
        assertThat(low.errors()).isZero();
        assertThat(high.errorRate()).isEqualTo(1.0);
        assertThat(tree.leafOf(new Object[] {"false", "B", null, 0.5}).id()).isEqualTo(high.id());
        assertThat(tree.leafOf(new Object[] {"true", "B", 35.0, 0.5}).id()).isEqualTo(low.id());
    }

    @Test
    void aSplitWhoseSidesDifferOnlyByChanceIsNotTaken() {
        List<ErrorTree.Row> rows = new ArrayList<>();
        for (int i = 0; i < 60; i++) {  // site A: 12 of 30 wrong, site B: 15 of 30 wrong (z = 0.78)
            boolean siteA = i < 30;
            boolean error = siteA ? i < 12 : i < 45;
            rows.add(new ErrorTree.Row(new Object[] {"false", siteA ? "A" : "B", 50.0, 0.9}, error));
        }
        assertThat(ErrorTree.fit(FEATURES, rows, ErrorTree.Parameters.DEFAULTS).nodes()).hasSize(1);
        assertThat(ErrorTree.fit(FEATURES, rows, new ErrorTree.Parameters(3, 20, 31, 0)).nodes()).hasSize(3);
        assertThat(ErrorTreeSplits.significant(67, 22, 400, 21, 2.58)).isTrue();
        assertThat(ErrorTreeSplits.significant(20, 3, 47, 19, 2.58)).isFalse();  // z = 2.0
    }

    @Test
    void aTreeWithoutErrorsOrWithTooFewCasesIsJustItsRoot() {
        List<ErrorTree.Row> clean = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            clean.add(new ErrorTree.Row(new Object[] {"false", "A", (double) i, 0.9}, false));
        }
        assertThat(ErrorTree.fit(FEATURES, clean, ErrorTree.Parameters.DEFAULTS).nodes()).hasSize(1);
        assertThat(ErrorTree.fit(FEATURES, planted(3).subList(0, 39), ErrorTree.Parameters.DEFAULTS).nodes())
                .hasSize(1);
        assertThatThrownBy(() -> new ErrorTree.Parameters(0, 20, 31, 2.58)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void heatMapBinsNumbersInEightAndCountsEveryCase() {
        List<ErrorTree.Row> rows = planted(13);
        ErrorHeatMap.HeatMap map = ErrorHeatMap.of(FEATURES, rows, 2, 0);
        assertThat(map.x().bins()).hasSize(9);  // 8 bins + missing ages
        assertThat(map.x().bins().get(8)).isEqualTo("(missing)");
        assertThat(map.y().bins()).containsExactly("false", "true");
        assertThat(map.cells()).hasSize(18);
        assertThat(map.cells().stream().mapToInt(ErrorHeatMap.Cell::size).sum()).isEqualTo(800);
        assertThat(map.cells().stream().mapToInt(ErrorHeatMap.Cell::errors).sum())
                .isEqualTo((int) rows.stream().filter(ErrorTree.Row::error).count());
        double icuErrors = map.cells().stream().filter(c -> c.y() == 1).mapToInt(ErrorHeatMap.Cell::errors).sum();
        double icuSize = map.cells().stream().filter(c -> c.y() == 1).mapToInt(ErrorHeatMap.Cell::size).sum();
        assertThat(icuErrors / icuSize).isGreaterThan(0.3);

        ErrorHeatMap.HeatMap single = ErrorHeatMap.of(FEATURES, rows, 1, -1);
        assertThat(single.y()).isNull();
        assertThat(single.x().bins()).containsExactly("A", "B", "C", "D");
        assertThat(single.cells()).hasSize(4);
    }
}
