package org.chestlens.interop;

import org.chestlens.ingest.RejectionReason;

/**
 * C-STORE response statuses (PS3.4 Table B.2-1, PS3.7 Annex C). Each ingest rejection is answered
 * as STOW-RS answers it ({@link StowRsService#failureReason}), so the two doors never disagree; only
 * where STOW-RS uses a code that DIMSE does not know for C-STORE is it translated.
 */
final class DimseStatus {

    static final int SUCCESS = 0x0000;
    /** Refused: Out of Resources. The sender may try again later. */
    static final int OUT_OF_RESOURCES = 0xA700;
    /** Error: Data Set does not match SOP Class (the command and the data set name different instances). */
    static final int DATA_SET_DOES_NOT_MATCH = 0xA900;
    /** Error: Cannot understand. */
    static final int CANNOT_UNDERSTAND = 0xC000;
    /** Failure: Processing failure (general status). */
    static final int PROCESSING_FAILURE = 0x0110;
    /** Refused: SOP Class not supported. */
    static final int SOP_CLASS_NOT_SUPPORTED = 0x0122;
    /**
     * Warning: Data Set does not match SOP Class. Sent where an upload would be stored with warnings
     * (a modality other than CR or DX, a body part other than chest, further frames ignored): the
     * instance is stored and scored, and the warnings are in the Error Comment.
     */
    static final int WARNING = 0xB007;

    private DimseStatus() {
    }

    static int of(RejectionReason reason) {
        int stow = StowRsService.failureReason(reason);
        // 0xC122 is a STOW-RS (Annex I) failure reason, not a C-STORE status: a transfer syntax that was
        // negotiated but whose frames cannot be decoded (e.g. signed HTJ2K, or 12-bit JPEG Extended where the
        // native decoder is not installed) is data we cannot understand.
        return stow == StoreInstancesResponse.TRANSFER_SYNTAX_NOT_SUPPORTED ? CANNOT_UNDERSTAND : stow;
    }

    static boolean success(int status) {
        return status == SUCCESS || (status & 0xF000) == 0xB000;
    }
}
