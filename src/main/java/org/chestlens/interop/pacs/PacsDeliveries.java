package org.chestlens.interop.pacs;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.chestlens.platform.ApiProblem;
import org.chestlens.platform.KeysetCursor;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

/** The admin view of the PACS destinations and their objects, and the manual re-send. */
@Service
class PacsDeliveries {

    static final int MAX_PAGE = 200;

    private final PacsProperties properties;
    private final PacsStore store;
    private final PacsDispatcher dispatcher;

    PacsDeliveries(PacsProperties properties, PacsStore store, PacsDispatcher dispatcher) {
        this.properties = properties;
        this.store = store;
        this.dispatcher = dispatcher;
    }

    List<PacsDestinationView> destinations() {
        Map<String, Map<String, Long>> counts = store.counts();
        return properties.destinations().stream().map(d -> {
            Map<String, Long> c = counts.getOrDefault(d.name(), Map.of());
            boolean stow = d.protocol() == PacsProperties.Protocol.STOW_RS;
            return new PacsDestinationView(d.name(), d.protocol().name(), stow ? d.url() : null,
                    d.authorization() != null && !d.authorization().isBlank(), stow ? null : d.host(),
                    stow ? 0 : d.port(), stow ? null : d.calledAeTitle(), stow ? null : d.callingAeTitle(),
                    d.secondaryCapture(), d.timeout().toMillis(), c.getOrDefault("WAITING", 0L),
                    c.getOrDefault("PENDING", 0L), c.getOrDefault("DELIVERED", 0L), c.getOrDefault("FAILED", 0L));
        }).toList();
    }

    PacsDeliveryPage deliveries(String destination, int limit, String cursor) {
        requireConfigured(destination);
        KeysetCursor.Slice<PacsDeliveryView> page = KeysetCursor.slice(
                store.deliveries(destination, limit, KeysetCursor.decode(cursor)), limit,
                d -> new KeysetCursor(d.createdAt(), d.id()));
        return new PacsDeliveryPage(page.items(), page.nextCursor());
    }

    PacsDeliveryView delivery(UUID id) {
        return store.delivery(id).orElseThrow(() -> ApiProblem.notFound("PACS delivery", id));
    }

    /**
     * Due again now, with a fresh allowance of attempts (DELIVERED, FAILED or PENDING). A row that finished has
     * dropped its patient module: it goes again with the empty one.
     */
    PacsDeliveryView resend(UUID id) {
        PacsDeliveryView delivery = delivery(id);
        requireConfigured(delivery.destination());
        if (delivery.status().equals("WAITING")) {
            throw new ApiProblem(HttpStatus.CONFLICT, "not-scored-yet", "Not scored yet",
                    "PACS delivery " + id + " waits for its prediction; it is sent once the image is scored.");
        }
        store.resend(id);
        dispatcher.wake(delivery.destination());
        return delivery(id);
    }

    private void requireConfigured(String destination) {
        if (properties.destinations().stream().noneMatch(d -> d.name().equals(destination))) {
            throw new ApiProblem(HttpStatus.NOT_FOUND, "not-found", "PACS destination not found",
                    "No PACS destination of this name is configured (chestlens.pacs.destinations).");
        }
    }
}
