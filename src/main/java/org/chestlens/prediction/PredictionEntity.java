package org.chestlens.prediction;

import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

@Entity
@Table(name = "prediction")
class PredictionEntity {

    @Id
    private UUID id;
    private UUID imageId;
    private long modelVersionId;
    private short predictedClass;
    private double pCvx0;
    private double pCvx1;
    private double pCvx2;
    private double pCvx3;
    private double scoreCvx03vs12;
    private Double scoreCvx0vs3;
    private Double scoreCvx1vs2;
    private double confidence;
    private double[] foldSpread;
    private double decodeMs;
    private double waitMs;
    private double inferenceMs;
    private Instant createdAt;
    private Double oodScore;
    private Double oodThreshold;
    private Boolean oodFlagged;
    private String[] flags;
    private Integer operatingPointVersion;

    protected PredictionEntity() {
    }

    UUID id() { return id; }
    UUID imageId() { return imageId; }
    long modelVersionId() { return modelVersionId; }
    ChestClass predictedClass() { return ChestClass.ofIndex(predictedClass); }
    double[] probabilities() { return new double[] {pCvx0, pCvx1, pCvx2, pCvx3}; }
    double scoreCvx03vs12() { return scoreCvx03vs12; }
    Double scoreCvx0vs3() { return scoreCvx0vs3; }
    Double scoreCvx1vs2() { return scoreCvx1vs2; }
    double confidence() { return confidence; }
    double[] foldSpread() { return foldSpread.clone(); }
    double decodeMs() { return decodeMs; }
    double waitMs() { return waitMs; }
    double inferenceMs() { return inferenceMs; }
    Instant createdAt() { return createdAt; }
    OutOfDistribution outOfDistribution() {
        return oodScore == null ? null : new OutOfDistribution(oodScore, oodThreshold, oodFlagged);
    }
    java.util.List<String> flags() { return flags == null ? null : java.util.List.of(flags); }
    Integer operatingPointVersion() { return operatingPointVersion; }
}
