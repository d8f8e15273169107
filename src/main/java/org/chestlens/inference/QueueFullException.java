package org.chestlens.inference;

/** The in-memory queue cannot take more images now; the client should retry after the given time. */
public class QueueFullException extends RuntimeException {

    private final long retryAfterSeconds;

    public QueueFullException(long retryAfterSeconds) {
        super("Inference queue is full");
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
