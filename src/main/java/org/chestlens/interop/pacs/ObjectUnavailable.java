package org.chestlens.interop.pacs;

/** The prediction exists but this DICOM object cannot be built for it; the reason is final, a retry cannot help. */
public class ObjectUnavailable extends RuntimeException {

    /** Why not. */
    public enum Reason {
        /** The prediction is of a PNG upload: no DICOM study to file the object into. */
        NO_STUDY,
        /** The model package stores no class activation maps (format 1): no heat map to capture. */
        NO_HEAT_MAP,
        /** The model view was not kept or has expired: no picture to draw the heat map on. */
        NO_MODEL_VIEW
    }

    private final Reason reason;

    ObjectUnavailable(Reason reason, String detail) {
        super(detail);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
