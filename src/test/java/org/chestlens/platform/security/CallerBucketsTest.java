package org.chestlens.platform.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

import javax.sql.DataSource;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.chestlens.StoreTest;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The buckets against the real PostgreSQL: shared between instances, and this instance's own when the
 * database cannot be reached (a PostgreSQL URL on a port nothing listens on), until it answers again.
 */
@StoreTest
class CallerBucketsTest {

    private static final SecurityProperties.RateLimit SETTINGS =
            new SecurityProperties.RateLimit(true, 60, Duration.ofMinutes(10), true, Duration.ofSeconds(5));

    @Autowired
    DataSource database;

    @Test
    void instancesOnOneDatabaseTakeFromOneBucket() {
        String caller = "api-key:" + UUID.randomUUID();
        try (CallerBuckets a = new CallerBuckets(SETTINGS, database, null);
             CallerBuckets b = new CallerBuckets(SETTINGS, database, null)) {
            int served = 0;
            for (int i = 0; i < 100; i++) {
                served += (i % 2 == 0 ? a : b).tryConsume(caller, 3).isConsumed() ? 1 : 0;
            }
            assertThat(served).isEqualTo(3);
            assertThat(a.fallingBack()).isFalse();
        }
    }

    @Test
    void anUnreachableDatabaseFallsBackToThisInstancesBucketAndIsTriedAgainLater() throws Exception {
        SwitchableDataSource switchable = new SwitchableDataSource(database, unreachable());
        AtomicLong clock = new AtomicLong();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        String caller = "user:" + UUID.randomUUID();
        try (CallerBuckets buckets = new CallerBuckets(SETTINGS, switchable, registry, clock::get)) {
            switchable.down = true;
            List<Boolean> outage = java.util.stream.IntStream.range(0, 5)
                    .mapToObj(i -> buckets.tryConsume(caller, 3).isConsumed()).toList();
            assertThat(outage).containsExactly(true, true, true, false, false); // still limited, locally
            assertThat(buckets.fallingBack()).isTrue();
            // Within fallbackRetry the database is not asked again: one refused connection, not five.
            assertThat(switchable.unreachableAttempts).isEqualTo(1);
            assertThat(registry.counter("chestlens.rate_limit.local_fallbacks").count()).isEqualTo(5);

            switchable.down = false;
            clock.addAndGet(Duration.ofSeconds(4).toNanos());
            buckets.tryConsume(caller, 3);
            assertThat(buckets.fallingBack()).as("before fallbackRetry has passed").isTrue();
            clock.addAndGet(Duration.ofSeconds(2).toNanos());
            // Shared again: the database's bucket for this caller is a fresh one.
            assertThat(buckets.tryConsume(caller, 3).isConsumed()).isTrue();
            assertThat(buckets.fallingBack()).isFalse();
            assertThat(registry.counter("chestlens.rate_limit.local_fallbacks").count()).isEqualTo(6);
        }
    }

    private static PGSimpleDataSource unreachable() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl("jdbc:postgresql://127.0.0.1:" + closedPort + "/chestlens");
        dataSource.setConnectTimeout(2);
        return dataSource;
    }

    /** Routes connections to the real database or to one that refuses them, as a failover would. */
    private static final class SwitchableDataSource implements DataSource {
        private final DataSource up;
        private final DataSource unreachable;
        volatile boolean down;
        volatile int unreachableAttempts;

        SwitchableDataSource(DataSource up, DataSource unreachable) {
            this.up = up;
            this.unreachable = unreachable;
        }

        @Override
        public Connection getConnection() throws SQLException {
            if (down) {
                unreachableAttempts++;
                return unreachable.getConnection();
            }
            return up.getConnection();
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return false;
        }
    }
}
