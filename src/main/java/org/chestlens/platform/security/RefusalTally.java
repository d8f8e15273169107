package org.chestlens.platform.security;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the requests {@link AnonymousLimitFilter} refused, per client address, and writes one audit row
 * per address and minute with their number when the minute ends (or the service stops): the trail shows
 * a flood without growing with it.
 */
final class RefusalTally implements AutoCloseable {

    static final Duration WINDOW = Duration.ofMinutes(1);

    private static final Logger log = LoggerFactory.getLogger(RefusalTally.class);

    private final AuditTrail trail;
    private final Cache<String, AtomicLong> windows;

    RefusalTally(AuditTrail trail) {
        this.trail = trail;
        // expireAfterWrite: the entry is written once when the window opens, counted in place afterwards.
        this.windows = Caffeine.newBuilder().expireAfterWrite(WINDOW).maximumSize(100_000)
                .scheduler(Scheduler.systemScheduler())
                // Removal listeners run on the thread that removes, so flush() returns with the rows written
                // (Caffeine's default executor would write them later, on the common pool).
                .executor(Runnable::run)
                .<String, AtomicLong>removalListener((address, count, cause) -> write(address, count))
                .build();
    }

    void refused(String address) {
        windows.get(address, a -> new AtomicLong()).incrementAndGet();
    }

    /** Writes every open window now. */
    void flush() {
        windows.invalidateAll();
        windows.cleanUp();
    }

    @Override
    public void close() {
        flush();
    }

    private void write(String address, AtomicLong count) {
        if (address == null || count == null || count.get() == 0) {
            return;
        }
        try {
            trail.recordRepeated(Caller.ANONYMOUS, "anonymous-rate-limited", "(refused before authentication)",
                    address, 429, count.get());
        } catch (RuntimeException e) {
            log.error("Audit row for {} refused requests could not be written", count.get(), e);
        }
    }
}
