package org.chestlens.ingest;

import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * An upload refused for a {@link RejectionReason}. The message is the client-facing detail; it names
 * a file only by its label in the request ({@code #1}), never by file name or patient data.
 */
public final class UploadRejectedException extends RuntimeException {

    private final RejectionReason reason;
    private final String part;
    private final Map<String, Object> properties;
    private final Long retryAfterSeconds;

    /**
     * @param part the label of the refused file, or null when the whole request is refused
     * @param properties further facts a client can act on (e.g. {@code transferSyntax}), never null
     * @param retryAfterSeconds when a retry may succeed, or null when retrying the same upload cannot help
     */
    UploadRejectedException(RejectionReason reason, String detail, String part, Map<String, Object> properties,
                            Long retryAfterSeconds) {
        super(detail);
        this.reason = Objects.requireNonNull(reason);
        this.part = part;
        this.properties = Map.copyOf(properties);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public RejectionReason reason() {
        return reason;
    }

    public String detail() {
        return getMessage();
    }

    /** The label of the refused file ({@code #1}), or null when the request as a whole is refused. */
    public String part() {
        return part;
    }

    /** Facts besides the part, keyed by the name a problem+json answer gives them. */
    public Map<String, Object> properties() {
        return properties;
    }

    /** Present when the service was busy rather than the upload at fault: the same upload may succeed then. */
    public OptionalLong retryAfterSeconds() {
        return retryAfterSeconds == null ? OptionalLong.empty() : OptionalLong.of(retryAfterSeconds);
    }
}
