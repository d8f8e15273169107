package org.chestlens.ingest;

import java.util.regex.Pattern;

import org.chestlens.platform.ApiProblem;
import org.springframework.http.HttpStatus;

/**
 * The optional FHIR subject of an upload: a literal reference to the patient (or group, device,
 * location: what DiagnosticReport.subject and Observation.subject allow in R4) on the client's own
 * FHIR server, relative ({@code Patient/123}) or absolute ({@code https://ehr.example/fhir/Patient/123}),
 * optionally with {@code /_history/<version>}. The id follows FHIR's id rule ([A-Za-z0-9\-.]{1,64}).
 * The value names a patient in the client's system: it is checked, stored, handed to FHIR results,
 * and never echoed in errors or written to logs.
 */
final class SubjectReference {

    static final int MAX_LENGTH = 500;

    private static final Pattern REFERENCE = Pattern.compile(
            "(https?://[A-Za-z0-9.\\-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~\\-]+)*/)?"
                    + "(Patient|Group|Device|Location)/[A-Za-z0-9\\-.]{1,64}"
                    + "(/_history/[A-Za-z0-9\\-.]{1,64})?");

    private SubjectReference() {
    }

    /** The reference, trimmed; null when absent or blank; a 400 problem when malformed. */
    static String check(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String trimmed = value.strip();
        if (trimmed.length() > MAX_LENGTH || !REFERENCE.matcher(trimmed).matches()) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid-subject", "Invalid subject reference",
                    "The 'subject' field must be a FHIR reference to a Patient, Group, Device or Location, "
                            + "such as Patient/123 or https://ehr.example/fhir/Patient/123 (at most "
                            + MAX_LENGTH + " characters).");
        }
        return trimmed;
    }
}
