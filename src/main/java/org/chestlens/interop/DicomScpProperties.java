package org.chestlens.interop;

import java.time.Duration;
import java.util.List;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The DICOM C-STORE receiver (storage SCP) for modalities and PACS that send with DIMSE rather than
 * DICOMweb. Off unless enabled.
 *
 * @param enabled whether the receiver listens at all
 * @param port TCP port of the receiver (0: any free port, for tests; health shows the one bound)
 * @param bindAddress address to listen on; all interfaces when unset
 * @param aeTitle the AE title senders must call (Called AE Title); others are rejected
 * @param allowedCallingAeTitles the senders' AE titles (Calling AE Title) that may associate; any when empty
 * @param maxAssociations associations served at once; more are rejected as "local limit exceeded" (transient)
 * @param idleTimeout an association that sends nothing for this long is aborted, whatever it was doing
 * @param tlsBundle name of a Spring SSL bundle (spring.ssl.bundle.jks.NAME or .pem.NAME); when set the receiver speaks
 *                  DICOM over TLS only (PS3.15 B.1), and asks for a client certificate when the bundle
 *                  has a trust store
 */
@Validated
@ConfigurationProperties("chestlens.dicom.scp")
public record DicomScpProperties(
        @DefaultValue("false") boolean enabled,
        @Min(0) @Max(65535) @DefaultValue("11112") int port,
        String bindAddress,
        @Pattern(regexp = "[\\x20-\\x5B\\x5D-\\x7E]{1,16}") @DefaultValue("CHESTLENS") String aeTitle,
        @DefaultValue List<String> allowedCallingAeTitles,
        @Min(1) @Max(1000) @DefaultValue("8") int maxAssociations,
        @DefaultValue("30s") Duration idleTimeout,
        String tlsBundle) {
}
