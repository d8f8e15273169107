package org.chestlens.evaluation;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/** A stored error-analysis run. */
@Schema(name = "ErrorAnalysis")
record ErrorAnalysisView(
        UUID id,
        Cohort cohort,
        List<String> features,
        ErrorTree.Parameters parameters,
        boolean active,
        Instant createdAt,
        int size,
        int errors,
        double overallErrorRate,
        @Schema(description = "Tree nodes; node 0 is the root (all cases)") List<NodeView> nodes,
        @JsonInclude(JsonInclude.Include.NON_NULL) ErrorHeatMap.HeatMap heatMap) {

    @Schema(name = "ErrorTreeNode")
    public record NodeView(int id, Integer parent, int depth,
                           @Schema(description = "How this node was split from its parent; null for the root") String condition,
                           @Schema(description = "All conditions from the root, in words") String path,
                           int size, int errors, double errorRate,
                           @Schema(description = "This node's errors / all errors") double errorCoverage,
                           boolean leaf, List<Integer> children) {

        static NodeView of(ErrorTree.Node n) {
            return new NodeView(n.id(), n.parent(), n.depth(), n.condition() == null ? null : n.condition().words(),
                    n.path(), n.size(), n.errors(), n.errorRate(), n.errorCoverage(), n.leaf(), n.children());
        }
    }
}
