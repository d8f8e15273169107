package org.chestlens.prediction;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Deletes expired model views on every replica, at start-up and then every
 * {@code chestlens.retention.purge-interval}. The delete is one idempotent statement, so replicas
 * that purge at the same time only share the work.
 */
@Component
class ModelViewPurge implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ModelViewPurge.class);

    private final ModelViews views;
    private final RetentionProperties retention;
    private volatile ScheduledExecutorService scheduler;

    ModelViewPurge(ModelViews views, RetentionProperties retention) {
        this.views = views;
        this.retention = retention;
    }

    @Override
    public void start() {
        scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "model-view-purge");
            thread.setDaemon(true);
            return thread;
        });
        long interval = Math.max(1, retention.purgeInterval().toMillis());
        scheduler.scheduleWithFixedDelay(this::purge, 0, interval, TimeUnit.MILLISECONDS);
    }

    private void purge() {
        try {
            int deleted = views.purgeExpired();
            if (deleted > 0) {
                log.info("Purged {} expired model views", deleted);
            }
        } catch (RuntimeException e) {
            // The database may be away for a moment; the next round deletes what this one left.
            log.warn("Purging expired model views failed: {}", e.toString());
        }
    }

    @Override
    public void stop() {
        ScheduledExecutorService running = scheduler;
        if (running != null) {
            running.shutdownNow();
        }
        scheduler = null;
    }

    @Override
    public boolean isRunning() {
        return scheduler != null;
    }
}
