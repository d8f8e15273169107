package org.chestlens.platform.security;

import java.util.List;
import java.util.Set;

import org.springframework.stereotype.Component;

/**
 * Audit rows for protocols outside HTTP (DICOM DIMSE), whose peers are named by their calling AE
 * title rather than by an API key or a token (actor kind {@code dicom-ae}). The status column then
 * holds the protocol's own status (a DIMSE status such as 0x0000 or 0xA700), so the outcome cannot be
 * derived from it as for HTTP and is given by the caller. Rows go through the {@link AuditTrail}, so they
 * wait through a database outage like the HTTP ones.
 */
@Component
public class NetworkPeerAudit {

    /** How an exchange with a peer ended, as the audit trail's outcome column says it. */
    public enum Outcome {
        SUCCESS("success"), DENIED("denied"), REJECTED("rejected"), ERROR("error");

        private final String column;

        Outcome(String column) {
            this.column = column;
        }
    }

    private final AuditTrail trail;

    NetworkPeerAudit(AuditTrail trail) {
        this.trail = trail;
    }

    /**
     * @param callingAeTitle the peer's calling AE title (not patient data; a configured device name)
     * @param action         e.g. {@code dicom.c-store}
     * @param resource       what was addressed, e.g. {@code dicom:CHESTLENS}
     * @param resourceIds    our ids of what was stored (image ids); never UIDs that could identify a patient
     * @param remoteAddress  the peer's IP address
     * @param status         the protocol status
     */
    public void record(String callingAeTitle, String action, String resource, List<String> resourceIds,
                       String remoteAddress, int status, Outcome outcome) {
        String actor = callingAeTitle == null || callingAeTitle.isBlank() ? "(none)" : callingAeTitle;
        trail.recordProtocol(new Caller(actor, "dicom-ae", Set.of(), null, null), action, resource, resourceIds,
                remoteAddress, status, outcome.column);
    }
}
