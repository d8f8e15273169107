package org.chestlens.inference;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.chestlens.platform.DatabaseAvailability;
import org.chestlens.prediction.JobStore;
import org.chestlens.prediction.QueuedJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The recovery path of the durable queue (the hot path hands jobs to the batcher directly): at
 * start-up it takes back this instance's unfinished jobs, then periodically claims any job whose
 * lease expired (a crashed replica's, or a failed job due for retry), as far as the queue has
 * room; and it keeps the leases of the jobs this replica holds fresh. It starts once the batchers
 * are warm and stops before they do, so a claimed job always finds a running batcher.
 */
@Component
class JobRecovery implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(JobRecovery.class);
    /** Most jobs claimed per model and round, so a recovery round never takes all the queue's room. */
    private static final int MAX_CLAIM = 64;

    private final InferenceService inference;
    private final JobStore jobs;
    private final InferenceProperties properties;
    private final DatabaseAvailability database;
    private volatile ScheduledExecutorService scheduler;

    JobRecovery(InferenceService inference, JobStore jobs, InferenceProperties properties,
                DatabaseAvailability database) {
        this.inference = inference;
        this.jobs = jobs;
        this.properties = properties;
        this.database = database;
        database.onRecovery(this::afterOutage);
    }

    /**
     * When the database is back: first the leases of the jobs this replica still holds (an outage longer
     * than a lease would otherwise let a recovery round, this one's included, claim them a second time),
     * then a recovery round, without waiting for the next interval.
     */
    private void afterOutage() {
        ScheduledExecutorService running = scheduler;
        if (running != null) {
            running.execute(() -> {
                renewLeases();
                recover(false);
            });
        }
    }

    @Override
    public void start() {
        scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "job-recovery");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.execute(() -> recover(true));
        long interval = properties.recoveryInterval().toMillis();
        scheduler.scheduleWithFixedDelay(() -> recover(false), interval, interval, TimeUnit.MILLISECONDS);
        long renewal = Math.max(1000, properties.lease().toMillis() / 3);
        scheduler.scheduleWithFixedDelay(this::renewLeases, renewal, renewal, TimeUnit.MILLISECONDS);
    }

    void recover(boolean startUp) {
        if (!database.available()) {
            return; // the round after the outage runs as soon as the database answers (afterOutage)
        }
        for (Map.Entry<String, MicroBatcher> entry : inference.batchers().entrySet()) {
            MicroBatcher batcher = entry.getValue();
            // Room first, then the claim: a claimed job always has a place in the queue.
            int room = batcher.reserveUpTo(MAX_CLAIM);
            if (room == 0) {
                continue;
            }
            int submitted = 0;
            try {
                ModelInfo model = inference.model(entry.getKey()).orElseThrow();
                List<QueuedJob> claimed = startUp
                        ? jobs.claimOwnAndExpired(inference.instanceId(), model.id(), model.version(), room,
                        properties.lease())
                        : jobs.claimExpired(inference.instanceId(), model.id(), model.version(), room,
                        properties.lease());
                for (QueuedJob job : claimed) {
                    batcher.submit(job);
                    submitted++;
                }
                if (!claimed.isEmpty()) {
                    log.info("Recovered {} unfinished job(s) for {} {}", claimed.size(), model.id(), model.version());
                }
            } catch (RuntimeException e) {
                log.warn("Job recovery failed; will try again: {}", e.toString());
            } finally {
                batcher.release(room - submitted);
            }
        }
    }

    private void renewLeases() {
        if (!database.available()) {
            return;
        }
        try {
            for (MicroBatcher batcher : inference.batchers().values()) {
                jobs.renewLeases(batcher.heldJobIds(), inference.instanceId(), properties.lease());
            }
        } catch (RuntimeException e) {
            log.warn("Lease renewal failed; will try again: {}", e.toString());
        }
    }

    @Override
    public void stop() {
        scheduler.shutdownNow();
        scheduler = null;
    }

    @Override
    public boolean isRunning() {
        return scheduler != null;
    }

    @Override
    public int getPhase() {
        return InferenceService.PHASE + 1;
    }
}
