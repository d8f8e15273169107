package org.chestlens.interop;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.UUID;

import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Narrative;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/** The small FHIR elements every resource of a result bundle is built from: ids, references, narrative. */
final class FhirElements {

    static final String DICOM_UID = "urn:dicom:uid";
    static final String URI_IDENTIFIER = "urn:ietf:rfc:3986";

    private FhirElements() {
    }

    /**
     * A logical reference (by identifier, as DICOMweb and PACS name studies): the study lives on the
     * PACS or the EHR's imaging server, not in this bundle, and an ImagingStudy resource would need a
     * subject that a PNG or an anonymous upload does not have.
     */
    static Reference imagingStudy(String studyUid) {
        return new Reference().setType("ImagingStudy")
                .setIdentifier(new Identifier().setSystem(DICOM_UID).setValue("urn:oid:" + studyUid));
    }

    static Narrative narrative(String text) {
        Narrative narrative = new Narrative().setStatus(Narrative.NarrativeStatus.GENERATED);
        narrative.setDivAsString("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>" + escapeXml(text) + "</p></div>");
        return narrative;
    }

    static Reference ref(Resource resource) {
        return new Reference("urn:uuid:" + resource.getIdElement().getIdPart());
    }

    /** Stable per prediction and role, so every GET of the same prediction names its resources the same. */
    static UUID uuid(UUID predictionId, String role) {
        return UUID.nameUUIDFromBytes(("chestlens:" + predictionId + ":" + role).getBytes(StandardCharsets.UTF_8));
    }

    static String format(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }

    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static String escapeXml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
