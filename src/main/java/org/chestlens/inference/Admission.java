package org.chestlens.inference;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.chestlens.prediction.QueuedJob;

/**
 * What one model's batcher has taken on. Capacity is reserved before an upload is committed and
 * released only once its result is, so an accepted job always has a place and results waiting to be
 * written count against the queue. A full queue answers with the time after which a retry may
 * succeed, estimated from the recent throughput.
 */
final class Admission {

    private final int capacity;
    private final AtomicInteger reserved = new AtomicInteger();
    private final AtomicLong rejections = new AtomicLong();
    private final Map<UUID, PendingJob> held = new ConcurrentHashMap<>();
    private volatile double imagesPerSecond;

    Admission(int capacity) {
        this.capacity = capacity;
    }

    /** Takes room for {@code count} jobs, or throws with the time after which a retry may succeed. */
    void reserve(int count) {
        while (true) {
            int current = reserved.get();
            if (current + count > capacity) {
                rejections.incrementAndGet();
                double rate = Math.max(imagesPerSecond, 0.1);
                long seconds = (long) Math.ceil((current + count - capacity + 1) / rate);
                throw new QueueFullException(Math.max(1, seconds));
            }
            if (reserved.compareAndSet(current, current + count)) {
                return;
            }
        }
    }

    /** Takes room for as many of {@code count} jobs as fit now; returns how many. */
    int reserveUpTo(int count) {
        while (true) {
            int current = reserved.get();
            int granted = Math.max(0, Math.min(count, capacity - current));
            if (granted == 0 || reserved.compareAndSet(current, current + granted)) {
                return granted;
            }
        }
    }

    void release(int count) {
        reserved.addAndGet(-count);
    }

    /** Images accepted and not yet scored and written. */
    int reserved() {
        return reserved.get();
    }

    /**
     * Holds a job that has a reservation; returns the job already held under the same id (claimed
     * again while still here), whose reservation this one's was then given back.
     */
    PendingJob hold(PendingJob pending) {
        PendingJob existing = held.putIfAbsent(pending.job().jobId(), pending);
        if (existing != null) {
            release(1);
        }
        return existing;
    }

    /** The jobs leave this batcher: no longer held, their room in the queue free. */
    void finish(List<PendingJob> done) {
        for (PendingJob p : done) {
            held.remove(p.job().jobId());
        }
        release(done.size());
    }

    /** The jobs held now: queued, in a forward pass, or waiting for their results to be written. */
    List<QueuedJob> heldJobs() {
        return held.values().stream().map(PendingJob::job).toList();
    }

    List<UUID> heldJobIds() {
        return List.copyOf(held.keySet());
    }

    /** Sets the throughput measured before any batch ran (the warm-up's timed forward). */
    void measured(double imagesPerSecond) {
        this.imagesPerSecond = imagesPerSecond;
    }

    /** Folds one batch into the moving average of the throughput. */
    void served(int images, long forwardNanos) {
        double rate = images / (forwardNanos / 1e9);
        imagesPerSecond = imagesPerSecond <= 0 ? rate : 0.8 * imagesPerSecond + 0.2 * rate;
    }

    double imagesPerSecond() {
        return imagesPerSecond;
    }

    long rejections() {
        return rejections.get();
    }
}
