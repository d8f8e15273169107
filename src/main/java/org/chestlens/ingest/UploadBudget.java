package org.chestlens.ingest;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.springframework.stereotype.Component;

/**
 * Bounds the upload bytes held in memory at once. Multipart parts over the threshold are spooled to
 * disk by the servlet container, but decoding needs them in the heap: without a budget, enough
 * large concurrent uploads would exhaust it before the decode slots are even reached. Public so
 * that other upload routes (DICOMweb STOW-RS) share the same budget instead of adding their own.
 */
@Component
public class UploadBudget {

    private static final int KIB = 1024;

    private final Semaphore kibibytes;
    private final int capacity;
    private final IngestProperties properties;

    UploadBudget(IngestProperties properties) {
        this.properties = properties;
        this.capacity = (int) Math.min(Integer.MAX_VALUE, properties.maxBytesInFlight().toBytes() / KIB);
        this.kibibytes = new Semaphore(capacity, true);
    }

    /** Holds room for {@code bytes} until the lease is closed, or answers 429 after the decode wait. */
    public Lease acquire(long bytes) {
        int wanted = (int) Math.min(capacity, Math.max(1, (bytes + KIB - 1) / KIB));
        try {
            if (!kibibytes.tryAcquire(wanted, properties.decodeSlotWait().toMillis(), TimeUnit.MILLISECONDS)) {
                throw UploadRejected.busy(Math.max(1, properties.decodeSlotWait().toSeconds()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw UploadRejected.busy(1);
        }
        return () -> kibibytes.release(wanted);
    }

    @FunctionalInterface
    public interface Lease extends AutoCloseable {
        @Override
        void close();
    }
}
