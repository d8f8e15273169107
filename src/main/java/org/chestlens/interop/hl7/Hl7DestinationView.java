package org.chestlens.interop.hl7;

import java.util.List;

import io.swagger.v3.oas.annotations.media.Schema;

/** A configured MLLP destination and how many of its messages are pending, delivered and failed. */
@Schema(name = "Hl7Destination")
record Hl7DestinationView(
        String name,
        String host,
        int port,
        boolean tls,
        long connectTimeoutMs,
        long ackTimeoutMs,
        @Schema(description = "Events that produce a message") List<String> events,
        @Schema(description = "MSH-5") String receivingApplication,
        @Schema(description = "MSH-6") String receivingFacility,
        long pending,
        long delivered,
        long failed) {
}
