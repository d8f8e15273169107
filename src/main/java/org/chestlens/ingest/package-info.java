/**
 * The way in: uploads over REST (PNG and DICOM), their checks, decoding and InnerEye pre-processing, and the
 * durable job written before any success answer. Other doors (STOW-RS) call {@link org.chestlens.ingest.IngestService}.
 */
@org.springframework.modulith.ApplicationModule(
        allowedDependencies = { "inference", "prediction", "platform", "platform :: security" })
package org.chestlens.ingest;
