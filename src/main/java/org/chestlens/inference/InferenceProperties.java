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
 * @param cpuEngine what runs the folds on the CPU: onnxruntime (the package's ONNX folds through ONNX Runtime, 1.6-2.5
 *                  times libtorch's speed at batch 4-16; a package without ONNX folds runs on libtorch) or pytorch
 *                  (the TorchScript folds through libtorch). A GPU always runs the TorchScript folds on libtorch
 * @param djlCacheDir where the PyTorch and ONNX Runtime natives are unpacked (DJL's own, ~/.djl.ai, when unset);
 *                    keep it on a persistent volume
 * @param maxBatchSize most images in one forward pass
 * @param maxBatchDelay longest the first waiting image waits for the batch to fill (only while further
 *                      uploads are being committed; an idle service runs a lone image at once)
 * @param queueCapacity most images accepted but not yet scored, per model; beyond it uploads get 429
 * @param routineMaxWait stat images are scored before routine ones, but a routine image that has waited this long
 *                       in the batcher goes next, so stat traffic never starves routine work
 * @param lease how long a replica holds a job before others may claim it; renewed every third of it while held
 * @param recoveryInterval how often the database is checked for jobs whose lease expired
 * @param maxAttempts forward attempts per job before it is marked failed
 * @param retryDelay wait before a failed job is tried again
 * @param retainInputs keep the pre-processed input of finished jobs (for audits or re-scoring)
 * @param explain store the class activation maps of models whose package has them (format 2) with each
 *                prediction; false reads only the logits (the maps are still computed in the forward)
 * @param outOfDistribution what happens to an image whose out-of-distribution score (models whose package ships
 *                          the statistics, format 3) is above the package's threshold: reject (the upload that
 *                          waits for its result answers 422 out-of-distribution; the prediction is stored, flagged),
 *                          flag (scored and stored with the flag) or off (not scored for it)
 * @param instanceId this replica's name in job leases, different for every replica; the host name when unset,
 *                   which stays the same across a restart so the replica takes its own unfinished jobs back
 *                   at once
 */
@Validated
@ConfigurationProperties("chestlens.inference")
record InferenceProperties(
        @NotEmpty @DefaultValue("models/chestlens-demo-densenet121") List<Path> modelPaths,
        String defaultModel,
        @DefaultValue("auto") DeviceChoice device,
        @DefaultValue("onnxruntime") CpuEngine cpuEngine,
        Path djlCacheDir,
        @Min(1) @Max(256) @DefaultValue("8") int maxBatchSize,
        @DefaultValue("20ms") Duration maxBatchDelay,
        @Min(1) @DefaultValue("256") int queueCapacity,
        @DefaultValue("30s") Duration routineMaxWait,
        @DefaultValue("60s") Duration lease,
        @DefaultValue("10s") Duration recoveryInterval,
        @Min(1) @DefaultValue("3") int maxAttempts,
        @DefaultValue("5s") Duration retryDelay,
        @DefaultValue("false") boolean retainInputs,
        @DefaultValue("true") boolean explain,
        @DefaultValue("flag") OutOfDistributionPolicy outOfDistribution,
        String instanceId) {

    public enum DeviceChoice { AUTO, CPU, GPU }

    public enum CpuEngine { ONNXRUNTIME, PYTORCH }

    /** Like the input gate's policies (chestlens.input-gate.*), for the model's own out-of-distribution check. */
    public enum OutOfDistributionPolicy { REJECT, FLAG, OFF }
}
