/**
 * Hospital systems' protocols around the core: DICOMweb STOW-RS in, FHIR R4 results and signed webhooks out
 * (the {@code webhook} sub-package, internal to this module), HL7 v2 results ({@code hl7}), and the DICOM
 * result objects a PACS files with the study, a Structured Report and a heat-map Secondary Capture
 * ({@code pacs}).
 */
@org.springframework.modulith.ApplicationModule(
        allowedDependencies = { "ingest", "prediction", "platform", "platform :: security" })
package org.chestlens.interop;
