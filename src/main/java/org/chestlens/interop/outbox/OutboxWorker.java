package org.chestlens.interop.outbox;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

import org.chestlens.platform.DatabaseAvailability;
import org.chestlens.platform.InstanceName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read side of a transactional outbox, whatever the transport: one thread runs rounds (claim due rows
 * with FOR UPDATE SKIP LOCKED, send, record), at once again while rounds come back full, otherwise after a
 * wake-up (a commit that wrote new rows) or the poll interval (retries that fell due, rows of replicas that
 * died). While the database is away the worker waits for it instead of polling, and is woken when it is
 * back; a failed round is logged and retried after the interval: the outbox keeps everything. Webhooks run one worker per replica, HL7 v2 over MLLP one per destination.
 */
public final class OutboxWorker {

    private static final Logger log = LoggerFactory.getLogger(OutboxWorker.class);

    private final String name;
    private final Duration pollInterval;
    private final int fullRound;
    private final IntSupplier round;
    private final DatabaseAvailability database;
    private final BooleanSupplier settled;
    private final Semaphore wakeups = new Semaphore(0);
    private volatile boolean running;
    private Thread thread;

    /**
     * @param round claims, sends and records one batch; returns how many rows it claimed
     * @param fullRound a round that claimed this many may have left more: run the next at once
     * @param settled   records what earlier rounds could not (outcomes kept through an outage); false while
     *                  that is still impossible, and then nothing new is claimed
     */
    public OutboxWorker(String name, Duration pollInterval, int fullRound, IntSupplier round,
                        DatabaseAvailability database, BooleanSupplier settled) {
        this.name = name;
        this.pollInterval = pollInterval;
        this.fullRound = fullRound;
        this.round = round;
        this.database = database;
        this.settled = settled;
        database.onRecovery(this::wake);
    }

    /**
     * A lease owner unique per process: a restarted replica never mistakes a dead process's lease for its own.
     * Containers often share PID 1 and sometimes a host name, hence the random part.
     */
    public static String newOwner() {
        return InstanceName.hostName() + "/" + ProcessHandle.current().pid() + "/"
                + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Look for due work now instead of at the next poll. */
    public void wake() {
        wakeups.release();
    }

    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        thread = new Thread(this::loop, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Stops after the current round, waiting for it at most {@code wait}. */
    public void stop(Duration wait) {
        running = false;
        wakeups.release();
        Thread t = thread;
        if (t != null) {
            try {
                t.join(wait.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public boolean isRunning() {
        return running;
    }

    private void loop() {
        while (running) {
            try {
                if (!database.available() || !settled.getAsBoolean()) {
                    // Nothing can be claimed or recorded: wait for the database rather than poll it.
                    database.awaitAvailable(pollInterval);
                    continue;
                }
                int claimed = round.getAsInt();
                if (claimed < fullRound && wakeups.tryAcquire(pollInterval.toMillis(), TimeUnit.MILLISECONDS)) {
                    wakeups.drainPermits(); // several commits, one look
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("Outbox round of {} failed: {}", name, e.toString());
                try {
                    Thread.sleep(pollInterval.toMillis());
                } catch (InterruptedException stop) {
                    return;
                }
            }
        }
    }
}
