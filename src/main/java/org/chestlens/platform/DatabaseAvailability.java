package org.chestlens.platform;

import java.io.EOFException;
import java.net.SocketException;
import java.net.URI;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.SQLTransientException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.CannotCreateTransactionException;

/**
 * Whether PostgreSQL answers, known without asking it on a request's time: a dedicated connection (not
 * one of the pool's) runs a check every {@code probe-interval}; two failed checks in a row mark the
 * database unavailable, the first good one available again. While it is unavailable the pool hands out
 * no connection (a request fails at once instead of waiting for one), readiness is DOWN, and the
 * background work (batcher, job recovery, webhook dispatch, audit rows) waits here for it to come back.
 * <p>
 * Also the one place that says whether a failure means "the database is away" ({@link #isOutage}) and
 * what a client is told then ({@link #problem}): {@code 503 urn:chestlens:problem:database-unavailable}
 * with Retry-After.
 */
public final class DatabaseAvailability implements SmartLifecycle {

    public static final String PROBLEM_SLUG = "database-unavailable";

    private static final Logger log = LoggerFactory.getLogger(DatabaseAvailability.class);
    private static final int FAILURES_BEFORE_DOWN = 2;

    /**
     * What the availability does to the connection pool: suspend it during an outage (its connection
     * creator would otherwise keep retrying with a backoff that grows to 5 s, and so find the database
     * back only seconds after it is), resume it, with fresh connections, when the database answers.
     */
    interface Pool {
        void suspend();

        void resume();
    }

    private final DatabaseProperties properties;
    private final Supplier<DriverManagerDataSource> probeConnections;
    private final Pool pool;
    private final List<Runnable> onRecovery = new CopyOnWriteArrayList<>();
    private final Object monitor = new Object();
    private final AtomicLong outages = new AtomicLong();
    private final AtomicLong unavailableNanos = new AtomicLong();
    private final Counter rejections;
    private final Counter gateRefusals;
    private volatile boolean available = true;
    private volatile long downSinceNanos;
    private volatile Thread prober;
    /** One thread for the pool's suspension and resumption (in order) and the tasks after a recovery. */
    private volatile ExecutorService poolTasks;
    /** What the probe last found; {@link #available} follows once the pool is resumed. */
    private boolean answering = true;
    private Connection connection;
    private int failures;

    DatabaseAvailability(DatabaseProperties properties, Supplier<DriverManagerDataSource> probeConnections, Pool pool,
                         MeterRegistry meters) {
        this.properties = properties;
        this.probeConnections = probeConnections;
        this.pool = pool;
        Gauge.builder("chestlens.database.available", this, d -> d.available ? 1 : 0)
                .description("1 while the database answers its checks, 0 during an outage").register(meters);
        FunctionCounter.builder("chestlens.database.outages", outages, AtomicLong::get)
                .description("Times the database became unavailable").register(meters);
        FunctionCounter.builder("chestlens.database.unavailable.seconds", this, DatabaseAvailability::unavailableSeconds)
                .description("Total time the database was unavailable").register(meters);
        rejections = Counter.builder("chestlens.rejections").tag("reason", PROBLEM_SLUG)
                .description("Requests (or STOW-RS instances) refused because the database was unavailable")
                .register(meters);
        gateRefusals = Counter.builder("chestlens.database.connections.refused")
                .description("Connections refused at once, without waiting in the pool, during an outage")
                .register(meters);
    }

    public boolean available() {
        return available;
    }

    public DatabaseProperties properties() {
        return properties;
    }

    /**
     * Waits until the database is available again, or {@code max} has passed.
     *
     * @return whether it is available
     */
    public boolean awaitAvailable(Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        synchronized (monitor) {
            while (!available) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                monitor.wait(Math.max(1, left / 1_000_000));
            }
        }
        return true;
    }

    /** Runs {@code task} on a background thread each time the database comes back after an outage (keep it short). */
    public void onRecovery(Runnable task) {
        onRecovery.add(task);
    }

    /** Counts a request (or STOW-RS instance) refused for the outage, for {@code chestlens_rejections_total}. */
    public void rejected() {
        rejections.increment();
    }

    /** What the pool's gate asks before it hands out a connection. */
    void checkGate() throws SQLException {
        if (!available) {
            gateRefusals.increment();
            throw new SQLTransientConnectionException("The database is unavailable (its checks fail); not waiting "
                    + "for a connection", "08001");
        }
    }

    /**
     * Whether a failure means the database could not be reached or did not answer in time (rather than
     * refusing the statement): no connection, a connection lost, PostgreSQL shutting down, a statement
     * timeout.
     */
    public static boolean isOutage(Throwable failure) {
        boolean underJdbc = false;
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            underJdbc |= cause instanceof SQLException || cause instanceof DataAccessException;
            if (cause instanceof SQLTransientException && cause.getMessage() != null
                    && cause.getMessage().startsWith("The pool is currently suspended")) {
                return true; // HikariCP, suspended during the outage
            }
            if (cause instanceof CannotGetJdbcConnectionException || cause instanceof CannotCreateTransactionException
                    || cause instanceof DataAccessResourceFailureException || cause instanceof QueryTimeoutException
                    || cause instanceof SQLTransientConnectionException) {
                return true;
            }
            if ((cause instanceof SocketException || cause instanceof EOFException) && underJdbc) {
                // The database connection broke under a statement; the same exceptions from a client's
                // request body cut short are the client's fault, not an outage.
                return true;
            }
            // HikariCP's answer to any use of a connection it closed as broken (no SQLState): what a
            // rollback after a lost connection meets, and the error Spring then reports instead.
            if (cause instanceof SQLException sql && sql.getSQLState() == null
                    && "Connection is closed".equals(sql.getMessage())) {
                return true;
            }
            if (cause instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                // 08: connection exceptions; 57P01-03: admin shutdown, crash shutdown, cannot connect now;
                // 57014: statement timeout.
                if (state.startsWith("08") || state.startsWith("57P0") || state.equals("57014")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The answer to a request refused for an outage: 503 problem+json; the caller sets Retry-After. */
    public static ProblemDetail problem(String instance) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE,
                "The database is unavailable. Retry after the time given (an upload sent again is recognised by its "
                        + "bytes or its Idempotency-Key, so a retry never stores an image twice).");
        problem.setType(URI.create(ApiProblem.TYPE_PREFIX + PROBLEM_SLUG));
        problem.setTitle("Database unavailable");
        if (instance != null) {
            try {
                problem.setInstance(URI.create(instance));
            } catch (IllegalArgumentException notAUri) {
                // leave it out
            }
        }
        return problem;
    }

    /** Retry-After for {@link #problem}, as headers. */
    public HttpHeaders retryAfter() {
        HttpHeaders headers = new HttpHeaders();
        headers.set(HttpHeaders.RETRY_AFTER, Long.toString(properties.retryAfterSeconds()));
        return headers;
    }

    @Override
    public void start() {
        poolTasks = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "database-pool");
            thread.setDaemon(true);
            return thread;
        });
        Thread thread = new Thread(this::probeLoop, "database-probe");
        thread.setDaemon(true);
        prober = thread;
        thread.start();
    }

    @Override
    public void stop() {
        Thread thread = prober;
        prober = null;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        ExecutorService tasks = poolTasks;
        if (tasks != null) {
            tasks.shutdownNow();
        }
        closeConnection();
    }

    @Override
    public boolean isRunning() {
        return prober != null;
    }

    /** First to start, last to stop: everything else may wait on it. */
    @Override
    public int getPhase() {
        return Integer.MIN_VALUE + 100;
    }

    private void probeLoop() {
        long interval = Math.max(10, properties.probeInterval().toMillis());
        while (prober == Thread.currentThread()) {
            long start = System.nanoTime();
            record(check());
            long sleep = interval - (System.nanoTime() - start) / 1_000_000;
            try {
                Thread.sleep(Math.max(1, sleep));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One check on the probe's own connection, opened again when it was lost. */
    boolean check() {
        try {
            if (connection == null) {
                connection = probeConnections.get().getConnection();
            }
            if (connection.isValid(DatabaseProperties.seconds(properties.probeTimeout()))) {
                return true;
            }
        } catch (SQLException | RuntimeException e) {
            log.debug("Database check failed: {}", e.toString());
        }
        closeConnection();
        return false;
    }

    private void record(boolean answered) {
        if (answered) {
            failures = 0;
            if (!answering) {
                answering = true;
                poolTasks.execute(this::recovered);
            }
        } else if (++failures >= FAILURES_BEFORE_DOWN && answering) {
            answering = false;
            downSinceNanos = System.nanoTime();
            available = false; // at once: the gate refuses connections from now on
            outages.incrementAndGet();
            log.error("The database is unavailable: requests that need it are answered 503 database-unavailable, "
                    + "readiness is DOWN, background work waits");
            poolTasks.execute(pool::suspend);
        }
    }

    /** On the pool thread, after any suspension: the pool first, then the gate, then whoever waited. */
    private void recovered() {
        try {
            pool.resume();
        } catch (RuntimeException e) {
            log.warn("Resuming the connection pool failed: {}", e.toString());
        }
        long down = System.nanoTime() - downSinceNanos;
        unavailableNanos.addAndGet(down);
        synchronized (monitor) {
            available = true;
            monitor.notifyAll();
        }
        log.warn("The database answers again after {} ms unavailable", down / 1_000_000);
        for (Runnable task : onRecovery) {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.warn("A task after the database's recovery failed: {}", e.toString());
            }
        }
    }

    private double unavailableSeconds() {
        long total = unavailableNanos.get() + (available ? 0 : System.nanoTime() - downSinceNanos);
        return total / 1e9;
    }

    private void closeConnection() {
        Connection open = connection;
        connection = null;
        if (open != null) {
            try {
                open.close();
            } catch (SQLException | RuntimeException ignored) {
                // it is gone either way
            }
        }
    }

    /** The probe's connection properties: the pool's, with its timeouts instead of the pool's. */
    static Properties probeProperties(Properties pool, DatabaseProperties properties) {
        Properties probe = new Properties();
        probe.putAll(pool);
        int timeout = DatabaseProperties.seconds(properties.probeTimeout());
        probe.setProperty("connectTimeout", Integer.toString(timeout));
        probe.setProperty("socketTimeout", Integer.toString(timeout + 1));
        probe.setProperty("loginTimeout", Integer.toString(timeout));
        probe.setProperty("ApplicationName", "chestlens-database-probe");
        return probe;
    }
}
