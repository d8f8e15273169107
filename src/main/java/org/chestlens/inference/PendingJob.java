package org.chestlens.inference;

import java.util.concurrent.CompletableFuture;

import org.chestlens.prediction.JobStatus;
import org.chestlens.prediction.QueuedJob;

/** A job handed to a batcher: when it arrived (on the batcher's clock) and where its outcome goes. */
record PendingJob(QueuedJob job, long enqueuedNanos, CompletableFuture<JobStatus> outcome) {
}
