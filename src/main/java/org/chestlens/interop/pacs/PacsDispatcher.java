package org.chestlens.interop.pacs;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;

import org.chestlens.interop.outbox.Backoff;
import org.chestlens.interop.outbox.OutboxTable;
import org.chestlens.interop.outbox.OutboxWorker;
import org.chestlens.platform.DatabaseAvailability;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The read side of the PACS outbox: one {@link OutboxWorker} thread per configured destination (a PACS that
 * never answers holds only its own), which claims the oldest due object, builds it from the stored prediction
 * with the row's patient module (opened here, in memory only), sends it and records the outcome. The object is
 * built anew on each attempt and is the same each time (same UIDs, same bytes), so a PACS that got it twice
 * holds one instance. Replicas share a destination's rows through FOR UPDATE SKIP LOCKED.
 */
@Component
class PacsDispatcher implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(PacsDispatcher.class);

    private final PacsStore store;
    private final PacsProperties properties;
    private final PacsObjects objects;
    private final PatientModuleSeal seal;
    private final String owner = OutboxWorker.newOwner();
    private final Map<String, OutboxWorker> workers = new LinkedHashMap<>();
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pacs-c-store-watchdog");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean running;

    PacsDispatcher(PacsStore store, PacsProperties properties, PacsObjects objects, PatientModuleSeal seal,
                   DatabaseAvailability database) {
        this.store = store;
        this.properties = properties;
        this.objects = objects;
        this.seal = seal;
        for (PacsProperties.Destination destination : properties.destinations()) {
            PacsSender sender = destination.protocol() == PacsProperties.Protocol.STOW_RS
                    ? new StowRsSender(destination) : new CStoreSender(destination, watchdog);
            workers.put(destination.name(), new OutboxWorker("pacs-" + destination.name(), properties.pollInterval(),
                    1, () -> sendDue(destination, sender), database, () -> true));
        }
    }

    /** After a commit that made objects due for this destination: look now, not at the next poll. */
    void wake(String destination) {
        OutboxWorker worker = workers.get(destination);
        if (worker != null) {
            worker.wake();
        }
    }

    /** Claims the destination's oldest due object, sends it and records the outcome; 1 if there was one. */
    int sendDue(PacsProperties.Destination destination, PacsSender sender) {
        Optional<PacsStore.Claimed> next = store.claim(destination.name(), owner, destination.lease());
        if (next.isEmpty()) {
            return 0;
        }
        PacsStore.Claimed claimed = next.get();
        DicomObject object = null;
        OutboxTable.Outcome outcome;
        long start = System.nanoTime();
        try {
            PatientModule patient = seal.open(claimed.sealedPatient(), claimed.id()).orElse(PatientModule.EMPTY);
            Optional<DicomObject> built = "SC".equals(claimed.objectType())
                    ? objects.secondaryCapture(claimed.predictionId(), patient)
                    : objects.structuredReport(claimed.predictionId(), patient);
            object = built.orElse(null);
            outcome = object == null
                    ? notBuilt("prediction " + claimed.predictionId() + " no longer exists", start)
                    : sender.send(object);
        } catch (ObjectUnavailable unavailable) {
            // Final (a PNG upload, no heat map, the model view expired): another attempt cannot help.
            outcome = notBuilt(unavailable.getMessage(), start);
        } catch (RuntimeException e) {
            outcome = new OutboxTable.Outcome(OutboxTable.Verdict.RETRY, null, "not built: " + Backoff.describe(e),
                    PacsSender.millis(start), java.time.Instant.now());
        }
        Duration retryIn = Backoff.after(claimed.attemptsSinceResend(), properties.backoffBase(),
                properties.backoffMax(), ThreadLocalRandom.current());
        String status = store.record(claimed, owner, object == null ? null : object.sopInstanceUid(), outcome,
                properties.maxAttempts(), retryIn);
        if (outcome.verdict() == OutboxTable.Verdict.DELIVERED) {
            log.debug("PACS delivery {} ({}) delivered to {} on attempt {}", claimed.id(), claimed.objectType(),
                    destination.name(), claimed.attempt());
        } else {
            // Ids and the answer only: nothing of the patient module, which never leaves this method's objects.
            log.warn("PACS delivery {} ({}) to {} not accepted on attempt {} ({}): now {}", claimed.id(),
                    claimed.objectType(), destination.name(), claimed.attempt(),
                    outcome.answer() == null ? outcome.error() : outcome.answer(), status);
        }
        return 1;
    }

    private static OutboxTable.Outcome notBuilt(String reason, long start) {
        return new OutboxTable.Outcome(OutboxTable.Verdict.REJECTED, null, Backoff.cut("not built: " + reason),
                PacsSender.millis(start), java.time.Instant.now());
    }

    @Override
    public void start() {
        if (!properties.dispatch()) {
            log.info("PACS dispatch is off on this replica (chestlens.pacs.dispatch=false)");
            return;
        }
        running = true;
        workers.values().forEach(OutboxWorker::start);
        if (!workers.isEmpty()) {
            log.info("DICOM results to {} PACS destination(s): {}{}", workers.size(), workers.keySet(),
                    seal.enabled() ? "" : "; no chestlens.pacs.patient-module-key, so with an empty patient module");
        }
    }

    @Override
    public void stop() {
        running = false;
        Duration longest = properties.destinations().stream().map(PacsProperties.Destination::timeout)
                .max(Duration::compareTo).orElse(Duration.ZERO).plusSeconds(1);
        workers.values().forEach(w -> w.stop(longest));
        watchdog.shutdownNow();
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
