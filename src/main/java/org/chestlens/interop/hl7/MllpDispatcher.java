package org.chestlens.interop.hl7;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.chestlens.interop.outbox.OutboxWorker;
import org.chestlens.platform.DatabaseAvailability;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The read side of the HL7 outbox: one {@link OutboxWorker} thread and one kept MLLP connection per configured
 * destination, so a destination that accepts connections and never answers holds only its own thread (for its
 * ack timeout per attempt), never another destination's. Replicas share a destination's messages through
 * FOR UPDATE SKIP LOCKED; each message is leased for longer than an attempt can take.
 */
@Component
class MllpDispatcher implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(MllpDispatcher.class);

    private final Hl7Properties properties;
    private final Map<String, OutboxWorker> workers = new LinkedHashMap<>();
    private final Map<String, MllpSender> senders = new LinkedHashMap<>();
    private volatile boolean running;

    MllpDispatcher(Hl7Store store, Hl7Properties properties, DatabaseAvailability database) {
        this.properties = properties;
        String owner = OutboxWorker.newOwner();
        for (Hl7Properties.Destination destination : properties.destinations()) {
            MllpSender sender = new MllpSender(store, properties, destination, owner);
            senders.put(destination.name(), sender);
            workers.put(destination.name(), new OutboxWorker("hl7-mllp-" + destination.name(),
                    properties.pollInterval(), 1, sender::sendDue, database, () -> true));
        }
    }

    /** After a commit that wrote messages for this destination: look now, not at the next poll. */
    void wake(String destination) {
        OutboxWorker worker = workers.get(destination);
        if (worker != null) {
            worker.wake();
        }
    }

    @Override
    public void start() {
        if (!properties.dispatch()) {
            log.info("HL7 dispatch is off on this replica (chestlens.hl7.dispatch=false)");
            return;
        }
        running = true;
        workers.values().forEach(OutboxWorker::start);
        if (!workers.isEmpty()) {
            log.info("HL7 v2 over MLLP to {} destination(s): {}", workers.size(), workers.keySet());
        }
    }

    @Override
    public void stop() {
        running = false;
        Duration longest = properties.destinations().stream().map(d -> d.connectTimeout().plus(d.ackTimeout()))
                .max(Duration::compareTo).orElse(Duration.ZERO).plusSeconds(1);
        workers.values().forEach(w -> w.stop(longest));
        senders.values().forEach(MllpSender::close);
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
