package org.chestlens.interop.hl7;

import java.time.Duration;
import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * HL7 v2.5.1 ORU^R01 results and their MLLP destinations. Retries wait {@code backoffBase * 2^(attempt-1)}, at
 * most {@code backoffMax}, each with up to half of it taken off at random, like webhooks.
 *
 * @param dispatch whether this replica sends; every replica writes the outbox regardless
 * @param sendingApplication MSH-3
 * @param sendingFacility MSH-4
 * @param receivingApplication MSH-5, unless a destination names its own (also used by GET .../hl7v2)
 * @param receivingFacility MSH-6, unless a destination names its own
 * @param processingId MSH-11: P (production), T (training) or D (debugging)
 * @param pollInterval how often each destination's worker looks for due messages (retries, other replicas'
 *                     messages); a new message wakes it at once after its commit
 * @param maxAttempts attempts per message before it is marked FAILED (an AR ends it at once unless
 *                    retry-rejected is set)
 * @param backoffBase wait before the second attempt
 * @param backoffMax longest wait between attempts
 * @param retryRejected whether an AR (or CR) acknowledgement is retried like an AE; by default it fails the
 *                      message at once: the receiver refused this very message, and the same bytes again will not
 *                      change its mind
 * @param destinations the MLLP receivers (an interface engine's listener), each with name, host, port, tls (false),
 *                     connect-timeout (5s), ack-timeout (30s), events (prediction.completed; prediction.failed too if
 *                     listed), receiving-application and receiving-facility; see docs/hl7.md
 */
@Validated
@ConfigurationProperties("chestlens.hl7")
record Hl7Properties(
        @DefaultValue("true") boolean dispatch,
        @NotBlank @DefaultValue("CHESTLENS") String sendingApplication,
        @DefaultValue("") String sendingFacility,
        @DefaultValue("") String receivingApplication,
        @DefaultValue("") String receivingFacility,
        @Pattern(regexp = "[PTD]") @DefaultValue("P") String processingId,
        @DefaultValue("5s") Duration pollInterval,
        @Min(1) @Max(100) @DefaultValue("10") int maxAttempts,
        @DefaultValue("10s") Duration backoffBase,
        @DefaultValue("1h") Duration backoffMax,
        @DefaultValue("false") boolean retryRejected,
        @Valid @DefaultValue({}) List<Destination> destinations) {

    /**
     * One MLLP receiver.
     *
     * @param name how the admin API and the outbox name it; letters, digits, '-' and '_'
     * @param host host name or address
     * @param port TCP port of the MLLP listener
     * @param tls MLLP over TLS (the JVM's trust store decides which certificates are trusted)
     * @param connectTimeout time to open the connection
     * @param ackTimeout time to wait for the acknowledgement of one message; then the connection is closed and
     *                   the message retried
     * @param events events that produce a message: prediction.completed (an ORU with result status P),
     *               prediction.failed (an ORU with result status X, no observations but the reason)
     * @param receivingApplication MSH-5 for this destination
     * @param receivingFacility MSH-6 for this destination
     */
    record Destination(
            @NotBlank @Pattern(regexp = "[A-Za-z0-9_-]{1,64}") String name,
            @NotBlank String host,
            @Min(1) @Max(65535) int port,
            @DefaultValue("false") boolean tls,
            @DefaultValue("5s") Duration connectTimeout,
            @DefaultValue("30s") Duration ackTimeout,
            @DefaultValue("prediction.completed") List<@Pattern(regexp = "prediction\\.(completed|failed)") String> events,
            String receivingApplication,
            String receivingFacility) {

        /** A worker's hold on a message while it sends it; longer than any attempt can take. */
        Duration lease() {
            return connectTimeout.plus(ackTimeout).multipliedBy(2).plusSeconds(5);
        }
    }
}
