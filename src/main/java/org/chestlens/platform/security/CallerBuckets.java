package org.chestlens.platform.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import javax.sql.DataSource;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import io.github.bucket4j.postgresql.PostgreSQLSelectForUpdateBasedProxyManager;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token buckets of {@link CallerFilter}, one per API key or person and limit. With a database they
 * live in PostgreSQL ({@code rate_limit_bucket}, Bucket4j's proxy manager), so every replica takes from
 * the same bucket and N replicas still allow a caller the configured rate, not N times it. When the
 * database cannot be reached the request is not refused for that: this instance's own bucket stands in
 * (the limit then holds per replica, as before), and the database is tried again after
 * {@code fallbackRetry} so an outage does not cost every request a connection timeout.
 */
final class CallerBuckets implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CallerBuckets.class);
    private static final int EXPIRED_ROWS_PER_SWEEP = 1_000;

    private final PostgreSQLSelectForUpdateBasedProxyManager<String> shared;
    private final Cache<String, Bucket> local;
    private final Cache<String, Bucket> sharedProxies;
    private final long fallbackRetryNanos;
    private final LongSupplier nanoTime;
    private final Counter fallbacks;
    private final ScheduledExecutorService cleaner;
    private volatile long sharedUnavailableUntil;
    private volatile boolean sharedDown;

    /**
     * @param dataSource the service's database, or null for buckets in this instance only
     * @param registry   where fallbacks are counted, or null
     */
    CallerBuckets(SecurityProperties.RateLimit settings, DataSource dataSource, MeterRegistry registry) {
        this(settings, dataSource, registry, System::nanoTime);
    }

    CallerBuckets(SecurityProperties.RateLimit settings, DataSource dataSource, MeterRegistry registry,
                  LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.fallbackRetryNanos = settings.fallbackRetry().toNanos();
        this.local = Caffeine.newBuilder().expireAfterAccess(settings.idleExpiry()).maximumSize(100_000).build();
        this.sharedProxies = Caffeine.newBuilder().expireAfterAccess(settings.idleExpiry()).maximumSize(100_000).build();
        this.fallbacks = registry == null ? null : Counter.builder("chestlens.rate_limit.local_fallbacks")
                .description("Requests whose rate limit was counted by this replica alone because the shared "
                        + "buckets in PostgreSQL could not be reached")
                .register(registry);
        if (dataSource != null && settings.clusterWide()) {
            this.shared = Bucket4jPostgreSQL.selectForUpdateBasedBuilder(dataSource)
                    .primaryKeyMapper(PrimaryKeyMapper.STRING)
                    .table("rate_limit_bucket")
                    // An idle bucket's row is kept until the bucket would be full again, then it is garbage.
                    .expirationAfterWrite(ExpirationAfterWriteStrategy
                            .basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10)))
                    .build();
            this.cleaner = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "rate-limit-bucket-cleaner");
                thread.setDaemon(true);
                return thread;
            });
            cleaner.scheduleWithFixedDelay(this::removeExpired, 1, 1, TimeUnit.MINUTES);
        } else {
            this.shared = null;
            this.cleaner = null;
        }
    }

    /** Takes one token from the caller's bucket of {@code perMinute} tokens a minute. */
    ConsumptionProbe tryConsume(String callerKey, int perMinute) {
        String bucketKey = callerKey + "@" + perMinute;
        if (shared != null && nanoTime.getAsLong() - sharedUnavailableUntil >= 0) {
            try {
                ConsumptionProbe probe = sharedProxies.get(bucketKey, k -> shared.builder()
                        .build(rowId(k), () -> BucketConfiguration.builder().addLimit(bandwidth(perMinute)).build()))
                        .tryConsumeAndReturnRemaining(1);
                if (sharedDown) {
                    sharedDown = false;
                    log.info("Rate limits are shared through PostgreSQL again");
                }
                return probe;
            } catch (RuntimeException unavailable) {
                sharedUnavailableUntil = nanoTime.getAsLong() + fallbackRetryNanos;
                if (!sharedDown) {
                    sharedDown = true;
                    log.warn("Shared rate-limit buckets unavailable ({}); counting on this replica alone until "
                            + "PostgreSQL answers again", unavailable.getClass().getSimpleName());
                }
            }
        }
        if (shared != null && fallbacks != null) {
            fallbacks.increment();
        }
        return local.get(bucketKey, k -> Bucket.builder().addLimit(bandwidth(perMinute)).build())
                .tryConsumeAndReturnRemaining(1);
    }

    /** Whether requests are being counted by this replica alone although buckets are meant to be shared. */
    boolean fallingBack() {
        return shared != null && sharedDown;
    }

    private static Bandwidth bandwidth(int perMinute) {
        return Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1)).build();
    }

    private void removeExpired() {
        try {
            while (shared.removeExpired(EXPIRED_ROWS_PER_SWEEP) == EXPIRED_ROWS_PER_SWEEP) {
                // a backlog after a quiet night: keep sweeping in batches that hold few locks each
            }
        } catch (RuntimeException e) {
            log.debug("Expired rate-limit buckets not removed this time: {}", e.getClass().getSimpleName());
        }
    }

    /** Key names and people's identities are not stored in the bucket table, only a digest of them. */
    private static String rowId(String bucketKey) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(bucketKey.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    @Override
    public void close() {
        if (cleaner != null) {
            cleaner.shutdownNow();
        }
    }
}
