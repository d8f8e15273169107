package org.chestlens.interop;

import static org.chestlens.interop.FhirElements.URI_IDENTIFIER;
import static org.chestlens.interop.FhirElements.blankToNull;
import static org.chestlens.interop.FhirElements.format;
import static org.chestlens.interop.FhirElements.imagingStudy;
import static org.chestlens.interop.FhirElements.narrative;
import static org.chestlens.interop.FhirElements.ref;
import static org.chestlens.interop.FhirElements.uuid;

import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.chestlens.interop.FhirObservations.Shared;
import org.chestlens.interop.FhirObservations.SubTask;
import org.chestlens.prediction.ChestClass;
import org.chestlens.prediction.DicomAttributes;
import org.chestlens.prediction.ImageView;
import org.chestlens.prediction.PredictionView;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Device;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * One prediction as FHIR R4 results: a Bundle of a preliminary DiagnosticReport, one Observation per
 * class probability and per sub-task score of the InnerEye hierarchy, a Device for the model and a
 * Provenance ({@link FhirObservations}, {@link FhirProvenance}). Pure: everything comes from the arguments, so the same stored prediction always gives
 * the same resources (ids are derived from the prediction id), apart from the bundle's timestamp.
 */
final class FhirResultMapper {

    /*
     * Bundle type "collection", not "document": a document bundle is an attested clinical document
     * (a Composition first, with an author and attester, immutable once signed). This is unreviewed
     * model output that an integration engine files or forwards as a preliminary result, not a signed
     * report; a collection says exactly "these resources belong together", validates without a
     * Composition, and is what an EHR's inbound FHIR interface can split into its resources (or turn
     * into a transaction) as it sees fit.
     */
    static final Bundle.BundleType BUNDLE_TYPE = Bundle.BundleType.COLLECTION;

    static final String LOINC = "http://loinc.org";
    /*
     * LOINC 36554-4 "XR Chest Single view": the model reads exactly one frontal (PA or AP) chest
     * radiograph, so of the "XR Chest" family the single-view study is the accurate code. 36643-5
     * ("XR Chest 2 Views") would claim a lateral view we never see, 30746-2 ("Portable XR Chest
     * Views") only portable films, and 18748-4 ("Diagnostic imaging study") says nothing about the
     * body part. The IHE Imaging Diagnostic Report guide uses the same code for a single-view chest film.
     */
    static final String REPORT_LOINC = "36554-4";
    static final String REPORT_LOINC_DISPLAY = "XR Chest Single view";
    static final String V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074";

    private FhirResultMapper() {
    }

    /**
     * @param image the prediction's image (its DICOM attributes name the study and instance)
     * @param subjectReference the client's FHIR subject reference, or null
     * @param assembledAt the bundle's timestamp
     */
    static Bundle bundle(PredictionView prediction, ImageView image, String subjectReference, Instant assembledAt) {
        UUID id = prediction.id();
        Date issued = Date.from(prediction.createdAt());
        Reference subject = subjectReference == null ? null : new Reference(subjectReference);
        DicomAttributes dicom = image.dicom();
        Device device = FhirProvenance.device(prediction);
        Shared shared = new Shared(issued, subject, dicom == null ? null : blankToNull(dicom.studyInstanceUid()),
                effective(dicom), device);

        List<Observation> observations = new ArrayList<>();
        for (ChestClass c : ChestClass.values()) {
            observations.add(FhirObservations.classObservation(prediction, c, shared));
        }
        for (SubTask task : SubTask.values()) {
            observations.add(FhirObservations.subTaskObservation(prediction, task, shared));
        }
        DiagnosticReport report = report(prediction, shared, observations);
        Provenance provenance = FhirProvenance.provenance(prediction, image, report, observations, device);

        Bundle bundle = new Bundle();
        bundle.setId(uuid(id, "bundle").toString());
        bundle.setType(BUNDLE_TYPE);
        bundle.setIdentifier(new Identifier().setSystem(URI_IDENTIFIER).setValue("urn:uuid:" + uuid(id, "bundle")));
        bundle.setTimestamp(Date.from(assembledAt));
        add(bundle, report);
        observations.forEach(o -> add(bundle, o));
        add(bundle, device);
        add(bundle, provenance);
        return bundle;
    }

    /** The text of DiagnosticReport.conclusion: what the model said, in words, and that nobody has reviewed it. */
    static String conclusion(PredictionView p) {
        StringBuilder text = new StringBuilder();
        text.append("Model output: most likely class ").append(p.predictedClass().code()).append(' ')
                .append(p.predictedClass().name()).append(" (p=").append(format(p.confidence())).append("). ");
        text.append("Class probabilities: ");
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Double> e : p.probabilities().entrySet()) {
            parts.add(e.getKey() + " " + format(e.getValue()));
        }
        text.append(String.join(", ", parts)).append(". Sub-task scores: ");
        parts.clear();
        for (SubTask task : SubTask.values()) {
            Double score = task.score(p.subTaskScores());
            parts.add(task.name() + " " + (score == null ? "undefined" : format(score)));
        }
        text.append(String.join(", ", parts)).append(". ");
        if (p.calibrationId() != null) {
            parts.clear();
            p.calibratedProbabilities().forEach((code, value) -> parts.add(code + " " + format(value)));
            text.append("Calibrated probabilities (calibration ").append(p.calibrationId()).append("): ")
                    .append(String.join(", ", parts)).append(". ");
        }
        text.append("Model ").append(p.model().id()).append(' ').append(p.model().version()).append(". ");
        if (p.reliability() != null) {
            text.append("Error analysis: ").append(p.reliability().summary())
                    .append(p.reliability().flagged() ? " (flagged: above the model's overall error rate)" : "")
                    .append(". ");
        }
        text.append("Preliminary: produced by an AI model, not reviewed by a clinician.");
        if (p.notice() != null) {
            text.append(' ').append(p.notice());
        }
        return text.toString();
    }

    private static DiagnosticReport report(PredictionView p, Shared shared, List<Observation> observations) {
        DiagnosticReport report = new DiagnosticReport();
        report.setId(uuid(p.id(), "report").toString());
        // The prediction id is the report's business identifier: an EHR that receives it twice can tell.
        report.addIdentifier().setSystem(URI_IDENTIFIER).setValue("urn:uuid:" + p.id());
        report.setStatus(DiagnosticReport.DiagnosticReportStatus.PRELIMINARY);
        report.addCategory(new CodeableConcept(new Coding(V2_0074, "RAD", "Radiology")));
        report.setCode(new CodeableConcept(new Coding(LOINC, REPORT_LOINC, REPORT_LOINC_DISPLAY))
                .setText("AI analysis of a chest radiograph (InnerEye hierarchical COVID-19 classifier)"));
        if (shared.subject() != null) {
            report.setSubject(shared.subject().copy());
        }
        if (shared.effective() != null) {
            report.setEffective(shared.effective().copy());
        }
        report.setIssued(shared.issued());
        if (shared.studyUid() != null) {
            report.addImagingStudy(imagingStudy(shared.studyUid()));
        }
        observations.forEach(o -> report.addResult(ref(o)));
        String conclusion = conclusion(p);
        report.setConclusion(conclusion);
        // Narrative, so an EHR that shows only text still shows what the model said and that nobody reviewed it.
        report.setText(narrative(conclusion));
        return report;
    }

    /**
     * When the image was acquired, as far as we know it: the DICOM Study Date (day precision). A PNG
     * carries no acquisition time, and the time of scoring is not the clinically relevant time, so
     * then there is none.
     */
    static DateTimeType effective(DicomAttributes dicom) {
        if (dicom == null || dicom.studyDate() == null) {
            return null;
        }
        try {
            LocalDate date = LocalDate.parse(dicom.studyDate().strip(), DateTimeFormatter.BASIC_ISO_DATE);
            return new DateTimeType(date.toString());
        } catch (DateTimeParseException | IllegalArgumentException notADicomDate) {
            return null;
        }
    }

    private static void add(Bundle bundle, Resource resource) {
        bundle.addEntry().setFullUrl("urn:uuid:" + resource.getIdElement().getIdPart()).setResource(resource);
    }

}
