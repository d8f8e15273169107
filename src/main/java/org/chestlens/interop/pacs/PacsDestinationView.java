package org.chestlens.interop.pacs;

import java.net.URI;

import io.swagger.v3.oas.annotations.media.Schema;

/** A configured PACS destination (without its credentials) and how many of its objects are in each status. */
@Schema(name = "PacsDestination")
record PacsDestinationView(
        String name,
        @Schema(description = "STOW_RS or C_STORE") String protocol,
        @Schema(description = "STOW-RS: the studies URL the objects are POSTed to", nullable = true) URI url,
        @Schema(description = "STOW-RS: whether an Authorization header is configured (its value is never shown)")
        boolean authorization,
        @Schema(description = "C-STORE: the storage SCP's host", nullable = true) String host,
        @Schema(description = "C-STORE: its port; 0 for STOW-RS") int port,
        @Schema(description = "C-STORE: the SCP's AE title", nullable = true) String calledAeTitle,
        @Schema(description = "C-STORE: ours", nullable = true) String callingAeTitle,
        @Schema(description = "Whether the heat-map Secondary Capture goes too") boolean secondaryCapture,
        long timeoutMs,
        @Schema(description = "Rows whose prediction is not stored yet") long waiting,
        long pending,
        long delivered,
        long failed) {
}
