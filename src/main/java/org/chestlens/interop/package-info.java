/**
 * Hospital systems' protocols around the core: DICOMweb STOW-RS in, FHIR R4 results and signed webhooks out
 * (the {@code webhook} sub-package, internal to this module).
 */
@org.springframework.modulith.ApplicationModule(
        allowedDependencies = { "ingest", "prediction", "platform", "platform :: security" })
package org.chestlens.interop;
