package org.chestlens.prediction;

import org.springframework.jdbc.core.simple.JdbcClient;

/** prediction's read side without a Spring context, for benchmarks in other packages. */
public final class PredictionReads {

    private PredictionReads() {
    }

    public static ScoredImages scoredImages(JdbcClient jdbc) {
        return new ScoredImages(jdbc);
    }

    public static ModelVersionRegistry modelVersions(JdbcClient jdbc) {
        return new ModelVersionRegistry(jdbc);
    }
}
