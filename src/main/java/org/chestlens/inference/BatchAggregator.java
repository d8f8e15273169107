package org.chestlens.inference;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

import org.chestlens.prediction.Priority;

/**
 * Collects waiting jobs into batches. A batch closes when it is full, when its first job has
 * waited the maximum delay (measured from that job's arrival, not from when the worker looked), or
 * at once when no further job is on its way: waiting only pays when an upload is being committed
 * right now (reserved but not yet queued), so an idle service runs a lone image at once.
 */
final class BatchAggregator {

    /** Where submitted jobs wait for the worker; the seam lets tests run time forward instead of sleeping. */
    interface Arrivals {

        /** The next job, waiting up to {@code timeoutNanos} for one (not at all when zero); null if none came. */
        PendingJob poll(long timeoutNanos) throws InterruptedException;

        /** Jobs waiting now. */
        int size();
    }

    /**
     * The service's arrivals, filled by request and recovery threads: two lanes, each first come first served.
     * Stat jobs are taken before routine ones, except that a routine job that has waited {@code routineMaxWait}
     * goes next: stat traffic delays routine work by a bounded time, it never starves it.
     */
    static final class Queue implements Arrivals {

        private final ReentrantLock lock = new ReentrantLock();
        private final Condition arrived = lock.newCondition();
        private final ArrayDeque<PendingJob> stat = new ArrayDeque<>();
        private final ArrayDeque<PendingJob> routine = new ArrayDeque<>();
        private final LongSupplier nanoClock;
        private final long routineMaxWaitNanos;

        /** @param nanoClock the clock the jobs' arrival times are taken from */
        Queue(LongSupplier nanoClock, Duration routineMaxWait) {
            this.nanoClock = nanoClock;
            this.routineMaxWaitNanos = routineMaxWait.toNanos();
        }

        void add(PendingJob job) {
            lock.lock();
            try {
                (job.job().priority() == Priority.STAT ? stat : routine).addLast(job);
                arrived.signal();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public PendingJob poll(long timeoutNanos) throws InterruptedException {
            lock.lockInterruptibly();
            try {
                long remaining = timeoutNanos;
                while (stat.isEmpty() && routine.isEmpty()) {
                    if (remaining <= 0) {
                        return null;
                    }
                    remaining = arrived.awaitNanos(remaining);
                }
                PendingJob oldestRoutine = routine.peekFirst();
                boolean routineDue = oldestRoutine != null
                        && nanoClock.getAsLong() - oldestRoutine.enqueuedNanos() >= routineMaxWaitNanos;
                return stat.isEmpty() || routineDue ? routine.pollFirst() : stat.pollFirst();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public int size() {
            lock.lock();
            try {
                return stat.size() + routine.size();
            } finally {
                lock.unlock();
            }
        }
    }

    private final Arrivals arrivals;
    private final LongSupplier nanoClock;
    private final IntSupplier accepted;
    private final int maxBatchSize;
    private final long maxDelayNanos;

    /**
     * @param nanoClock the clock the jobs' arrival times were taken from
     * @param accepted jobs accepted by the batcher and not yet finished, including those still being committed
     */
    BatchAggregator(Arrivals arrivals, LongSupplier nanoClock, IntSupplier accepted, int maxBatchSize,
                    Duration maxDelay) {
        this.arrivals = arrivals;
        this.nanoClock = nanoClock;
        this.accepted = accepted;
        this.maxBatchSize = maxBatchSize;
        this.maxDelayNanos = maxDelay.toNanos();
    }

    /** The next batch, waiting up to {@code idleTimeoutNanos} for its first job; empty if none came. */
    List<PendingJob> pollBatch(long idleTimeoutNanos) throws InterruptedException {
        PendingJob first = arrivals.poll(idleTimeoutNanos);
        if (first == null) {
            return List.of();
        }
        List<PendingJob> batch = new ArrayList<>(maxBatchSize);
        batch.add(first);
        long deadline = first.enqueuedNanos() + maxDelayNanos;
        while (batch.size() < maxBatchSize) {
            long remaining = deadline - nanoClock.getAsLong();
            boolean moreComing = accepted.getAsInt() > batch.size() + arrivals.size();
            PendingJob next = arrivals.poll(remaining > 0 && moreComing ? remaining : 0);
            if (next == null) {
                break;
            }
            batch.add(next);
        }
        return batch;
    }
}
