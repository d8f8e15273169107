package org.chestlens.interop.pacs;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * PACS destinations for the DICOM result objects (the SR, and where asked the heat-map Secondary Capture) of
 * scored DICOM images, sent from a durable outbox by DICOMweb STOW-RS or DIMSE C-STORE. Retries wait
 * {@code backoffBase * 2^(attempt-1)}, at most {@code backoffMax}, each with up to half of it taken off at
 * random, like webhooks and HL7.
 *
 * @param dispatch whether this replica sends; every replica writes the outbox regardless
 * @param patientModuleKey AES key (base64 of 16, 24 or 32 bytes) that seals the source header's patient module
 *                         in the outbox row until the row is delivered or has failed, so the objects file into
 *                         the very study the PACS holds; without it the objects carry an empty patient module.
 *                         From a secret store, never the repository; changing it makes the sealed modules of
 *                         pending rows unreadable (those are sent with an empty module). See docs/pacs.md
 * @param pollInterval how often each destination's worker looks for due objects (retries, other replicas'
 *                     rows); a new prediction wakes it at once after its commit
 * @param maxAttempts attempts per object before it is marked FAILED (a rejection ends it at once)
 * @param backoffBase wait before the second attempt
 * @param backoffMax longest wait between attempts
 * @param destinations the PACS (or router) that receive the objects, each with name, protocol (STOW_RS or
 *                     C_STORE), for STOW-RS url and authorization, for C-STORE host, port, called-ae-title and
 *                     calling-ae-title, secondary-capture (false) and timeout (30s); see docs/pacs.md
 */
@Validated
@ConfigurationProperties("chestlens.pacs")
record PacsProperties(
        @DefaultValue("true") boolean dispatch,
        String patientModuleKey,
        @DefaultValue("5s") Duration pollInterval,
        @Min(1) @Max(100) @DefaultValue("10") int maxAttempts,
        @DefaultValue("10s") Duration backoffBase,
        @DefaultValue("1h") Duration backoffMax,
        @Valid @DefaultValue({}) List<Destination> destinations) {

    /** Without the patient module key, a secret. */
    @Override
    public String toString() {
        return "PacsProperties[dispatch=%s, patientModuleKey=%s, pollInterval=%s, maxAttempts=%d, backoffBase=%s, "
                .formatted(dispatch, patientModuleKey == null || patientModuleKey.isEmpty() ? "(none)" : "(set)",
                        pollInterval, maxAttempts, backoffBase)
                + "backoffMax=%s, destinations=%s]".formatted(backoffMax, destinations);
    }

    /** How a destination receives objects. */
    enum Protocol { STOW_RS, C_STORE }

    /**
     * One PACS, archive or router.
     *
     * @param name how the admin API and the outbox name it; letters, digits, '-' and '_'
     * @param protocol STOW_RS (DICOMweb, one POST of multipart/related per object) or C_STORE (DIMSE, one
     *                 association per object)
     * @param url STOW-RS: the studies endpoint, e.g. http://pacs:8042/dicom-web/studies (the object is POSTed
     *            there, not to a study's own URL, so a PACS files it by its Study Instance UID)
     * @param authorization STOW-RS: the Authorization header value (e.g. "Bearer ..." or "Basic ..."), none when
     *                      empty; a secret, never shown by the admin API nor logged
     * @param host C-STORE: host name or address of the storage SCP
     * @param port C-STORE: its port
     * @param calledAeTitle C-STORE: the SCP's AE title
     * @param callingAeTitle C-STORE: ours, as the SCP knows it
     * @param secondaryCapture whether this destination also gets the heat-map Secondary Capture (for people
     *                         to look at) beside the SR
     * @param timeout one whole attempt: connecting, sending and the answer
     */
    record Destination(
            @NotBlank @Pattern(regexp = "[A-Za-z0-9_-]{1,64}") String name,
            @NotNull Protocol protocol,
            URI url,
            String authorization,
            String host,
            @Min(0) @Max(65535) int port,
            @Pattern(regexp = "[ -~&&[^\\\\]]{0,16}") String calledAeTitle,
            @Pattern(regexp = "[ -~&&[^\\\\]]{1,16}") @DefaultValue("CHESTLENS") String callingAeTitle,
            @DefaultValue("false") boolean secondaryCapture,
            @DefaultValue("30s") Duration timeout) {

        Destination {
            // What each protocol cannot do without: a clear message at start-up rather than failing attempts.
            if (protocol == Protocol.STOW_RS && (url == null || url.getScheme() == null
                    || !url.getScheme().matches("https?"))) {
                throw new IllegalArgumentException("PACS destination " + name + ": STOW_RS needs an http(s) url");
            }
            if (protocol == Protocol.C_STORE && (host == null || host.isBlank() || port < 1 || calledAeTitle == null
                    || calledAeTitle.isBlank())) {
                throw new IllegalArgumentException("PACS destination " + name
                        + ": C_STORE needs host, port and called-ae-title");
            }
        }

        /** Without the Authorization value, a secret. */
        @Override
        public String toString() {
            return "Destination[name=%s, protocol=%s, url=%s, authorization=%s, host=%s, port=%d, calledAeTitle=%s, "
                    .formatted(name, protocol, url, authorization == null || authorization.isEmpty() ? "(none)" : "(set)",
                            host, port, calledAeTitle)
                    + "callingAeTitle=%s, secondaryCapture=%s, timeout=%s]".formatted(callingAeTitle, secondaryCapture,
                    timeout);
        }

        /** The object types this destination gets, the SR first. */
        List<String> objectTypes() {
            return secondaryCapture ? List.of("SR", "SC") : List.of("SR");
        }

        /** A worker's hold on an object while it sends it; longer than any attempt can take. */
        Duration lease() {
            return timeout.multipliedBy(2).plusSeconds(5);
        }
    }
}
