package org.chestlens.interop.hl7;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.KeysetCursor;
import org.chestlens.prediction.HospitalLookup;
import org.chestlens.prediction.PredictionStore;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** ORU^R01 on request, and the admin view of the destinations and their messages. */
@Service
class Hl7Results {

    static final int MAX_MESSAGES = 200;

    private final PredictionStore predictions;
    private final HospitalLookup lookup;
    private final Hl7Properties properties;
    private final Hl7Store store;
    private final MllpDispatcher dispatcher;

    Hl7Results(PredictionStore predictions, HospitalLookup lookup, Hl7Properties properties, Hl7Store store,
               MllpDispatcher dispatcher) {
        this.predictions = predictions;
        this.lookup = lookup;
        this.properties = properties;
        this.store = store;
        this.dispatcher = dispatcher;
    }

    /** The prediction's ORU^R01 as ER7, with the default receiving application and facility and a new MSH-10. */
    @Transactional(readOnly = true)
    Optional<String> oru(UUID predictionId) {
        return predictions.prediction(predictionId).map(p -> OruMessages.completed(Hl7Outbox.header(properties, null),
                OruMessages.newControlId(), Instant.now(), p, lookup.identifiers(p.imageId())));
    }

    List<Hl7DestinationView> destinations() {
        Map<String, Map<String, Long>> counts = store.counts();
        return properties.destinations().stream().map(d -> {
            Map<String, Long> c = counts.getOrDefault(d.name(), Map.of());
            return new Hl7DestinationView(d.name(), d.host(), d.port(), d.tls(), d.connectTimeout().toMillis(),
                    d.ackTimeout().toMillis(), d.events(), Hl7Outbox.header(properties, d).receivingApplication(),
                    Hl7Outbox.header(properties, d).receivingFacility(), c.getOrDefault("PENDING", 0L),
                    c.getOrDefault("DELIVERED", 0L), c.getOrDefault("FAILED", 0L));
        }).toList();
    }

    Hl7MessagePage messages(String destination, int limit, String cursor) {
        requireConfigured(destination);
        KeysetCursor.Slice<Hl7MessageView> page = KeysetCursor.slice(
                store.messages(destination, limit, KeysetCursor.decode(cursor)), limit,
                m -> new KeysetCursor(m.createdAt(), m.id()));
        return new Hl7MessagePage(page.items(), page.nextCursor());
    }

    Hl7MessageView message(UUID id) {
        return store.message(id).orElseThrow(() -> ApiProblem.notFound("HL7 message", id));
    }

    /** Due again now, with a fresh allowance of attempts, whatever its status. */
    Hl7MessageView resend(UUID id) {
        Hl7MessageView message = message(id);
        requireConfigured(message.destination());
        store.resend(id);
        dispatcher.wake(message.destination());
        return message(id);
    }

    private void requireConfigured(String destination) {
        if (properties.destinations().stream().noneMatch(d -> d.name().equals(destination))) {
            throw new ApiProblem(HttpStatus.NOT_FOUND, "not-found", "HL7 destination not found",
                    "No HL7 destination of this name is configured (chestlens.hl7.destinations).");
        }
    }
}
