package org.chestlens.platform.security;

import org.springframework.security.core.context.SecurityContextHolder;

/** The authenticated caller of the current request, for state that must be kept per caller. */
public final class CurrentCaller {

    private CurrentCaller() {
    }

    /**
     * A stable name of the caller ({@code api-key:mirth-radiology}, {@code user:<subject>}), e.g. to
     * scope a client-chosen Idempotency-Key so one caller can never receive another's images by
     * reusing (or guessing) its key.
     */
    public static String scope() {
        return Caller.of(SecurityContextHolder.getContext().getAuthentication()).bucketKey();
    }
}
