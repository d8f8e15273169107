package org.chestlens.inference;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * @param modelPaths model package folders to load at start-up
 * @param defaultModel id of the model that scores uploads; the first package when unset
 * @param device where the ensemble runs: auto (GPU when DJL sees one), cpu or gpu
 * @param djlCacheDir where DJL unpacks the PyTorch natives; keep it on a persistent volume
 * @param maxBatchSize most images in one forward pass
 * @param timeout longest a request waits for its images to be scored
 */
@Validated
@ConfigurationProperties("chestlens.inference")
public record InferenceProperties(
        @NotEmpty @DefaultValue("models/chestlens-densenet121-untrained") List<Path> modelPaths,
        String defaultModel,
        @DefaultValue("auto") DeviceChoice device,
        Path djlCacheDir,
        @Min(1) @Max(256) @DefaultValue("8") int maxBatchSize,
        @DefaultValue("60s") Duration timeout) {

    public enum DeviceChoice { AUTO, CPU, GPU }
}
