package org.chestlens.inference;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.chestlens.platform.CpuStages;
import org.chestlens.prediction.Priority;

/** The meters of one model's batcher, all tagged with the model id. */
final class BatcherMetrics {

    private final DistributionSummary batchSizes;
    private final Map<Priority, Timer> queueWait = new EnumMap<>(Priority.class);
    private final Timer batchDuration;
    private final Counter images;
    private final Counter failures;
    private final CpuStages cpu;

    BatcherMetrics(MeterRegistry meters, String modelId, Admission admission) {
        Gauge.builder("chestlens.inference.queue.depth", admission, Admission::reserved).tag("model", modelId)
                .description("Images accepted and not yet scored").register(meters);
        Gauge.builder("chestlens.inference.throughput", admission, Admission::imagesPerSecond).tag("model", modelId)
                .description("Recent images per second (moving average over batches)").register(meters);
        FunctionCounter.builder("chestlens.inference.rejections", admission, Admission::rejections)
                .tag("model", modelId).description("Uploads answered 429 because the queue was full").register(meters);
        batchSizes = DistributionSummary.builder("chestlens.inference.batch.size").tag("model", modelId)
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64).register(meters);
        for (Priority priority : Priority.values()) {
            queueWait.put(priority, Timer.builder("chestlens.inference.queue.wait").tag("model", modelId)
                    .tag("priority", priority.wireName()).description("Time from a job's arrival in the batcher to "
                            + "its forward pass").publishPercentileHistogram().register(meters));
        }
        batchDuration = Timer.builder("chestlens.inference.batch.duration").tag("model", modelId)
                .description("Forward passes of all folds for one batch").publishPercentileHistogram().register(meters);
        images = Counter.builder("chestlens.inference.images").tag("model", modelId).register(meters);
        failures = Counter.builder("chestlens.inference.failures").tag("model", modelId).register(meters);
        cpu = new CpuStages(meters); // the same timers as the request threads' (a meter is registered once)
    }

    void waited(Priority priority, long nanos) {
        queueWait.get(priority).record(Duration.ofNanos(nanos));
    }

    void scored(int batchSize, long forwardNanos) {
        batchSizes.record(batchSize);
        batchDuration.record(Duration.ofNanos(forwardNanos));
    }

    void written(int count) {
        images.increment(count);
    }

    /** The batcher's and the writer's share of the CPU around the model. */
    CpuStages cpu() {
        return cpu;
    }

    void failed() {
        failures.increment();
    }
}
