package org.chestlens.ingest;

/**
 * Why an upload, or one file of it, is refused. Carried by {@link UploadRejectedException}; each
 * protocol answers a reason in its own terms exactly once: the upload API as problem+json
 * ({@code UploadRejectionAdvice}), DICOMweb STOW-RS as a Failure Reason code. Both decide per
 * reason in an exhaustive switch, so a new reason does not compile until each has decided.
 */
public enum RejectionReason {
    /** A file of zero bytes. */
    EMPTY_FILE,
    /** Neither a PNG image nor a DICOM Part 10 file. */
    UNSUPPORTED_FORMAT,
    /** Truncated, damaged or self-contradicting image data. */
    CORRUPT_IMAGE,
    /** More pixels than {@code chestlens.ingest.max-pixels}. */
    IMAGE_TOO_LARGE,
    /** The same value in every pixel: nothing to normalise. */
    NO_CONTRAST,
    /** DICOM that is not MONOCHROME1 or MONOCHROME2 with one sample per pixel. */
    NOT_GREYSCALE,
    /** Readable DICOM pixel data in a layout this service does not score (e.g. 12 bits allocated). */
    UNSUPPORTED_PIXEL_DATA,
    /** What the model was not made for, found for certain by a check the input gate rejects on. */
    NOT_A_CHEST_RADIOGRAPH,
    /** A DICOM transfer syntax no decoder here reads exactly; the client can re-send it transcoded. */
    UNSUPPORTED_TRANSFER_SYNTAX,
    /** More files in one request than {@code chestlens.ingest.max-files-per-request}. */
    TOO_MANY_FILES,
    /** A request, body or file over its configured byte limit. */
    UPLOAD_TOO_LARGE,
    /** The inference queue holds as many images as it accepts; retry later. */
    QUEUE_FULL,
    /** Every decode slot or the whole upload memory budget is in use; retry later. */
    BUSY,
    /** An image is already stored with a different FHIR subject than the one named now. */
    SUBJECT_CONFLICT
}
